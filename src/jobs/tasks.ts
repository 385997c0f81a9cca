import type { Container } from '../container.js';
import { ADD_JOB, DELETE_JOB, UPDATE_JOB } from '../services/batch-member-service.js';
import { addMembersHandler, deleteMembersHandler, updateMembersHandler } from './member-handlers.js';
import { type JobLogger, JobRunner, type TaskList } from './runner.js';

/** Jobs one `ims serve` or `ims worker` runs at once. */
const JOB_CONCURRENCY = 4;

/** The job types this service runs, for both `ims serve` and `ims worker`; handlers keep the contract in runner.ts. */
export function taskList(container: Container): TaskList {
  const { repos, clock, config } = container;
  const deps = { repos, clock, quotas: { member: config.memberQuota, wholeImage: config.wholeImageMemberQuota } };
  return {
    [ADD_JOB]: addMembersHandler(deps),
    [UPDATE_JOB]: updateMembersHandler(deps),
    [DELETE_JOB]: deleteMembersHandler(deps),
  };
}

/**
 * The runner of `ims serve` and `ims worker`: the configured lease and retention, the task list above, and a
 * nudge on each submission made in this process. Call `start()` on it, and `stop()` before closing the container.
 */
export function createJobRunner(container: Container, logger: JobLogger): JobRunner {
  const runner = new JobRunner(container.store, {
    logger,
    taskList: taskList(container),
    clock: container.clock,
    leaseSeconds: container.config.jobLeaseSeconds,
    retentionSeconds: container.config.jobRetentionSeconds,
    workerId: container.instanceId,
    // Several projects' jobs side by side (a project's own run one at a time).
    concurrency: JOB_CONCURRENCY,
    metrics: container.metrics.jobs,
  });
  container.jobs.onSubmitted(() => runner.notify());
  return runner;
}
