import type { Container } from '../container.js';
import { ADD_JOB, DELETE_JOB, UPDATE_JOB } from '../services/batch-member-service.js';
import { addMembersHandler, deleteMembersHandler, updateMembersHandler } from './member-handlers.js';
import type { JobRunner } from './runner.js';

/**
 * Registers the handler of every job type this service runs, for both `ims serve` and `ims worker`.
 * A runner claims only the types registered on it. Handlers must keep the contract in runner.ts.
 */
export function registerJobHandlers(runner: JobRunner, container: Container): void {
  const { members, clock, config } = container;
  const quotas = { member: config.memberQuota, wholeImage: config.wholeImageMemberQuota };
  runner.register(ADD_JOB, addMembersHandler(members, clock, quotas));
  runner.register(UPDATE_JOB, updateMembersHandler(members, clock));
  runner.register(DELETE_JOB, deleteMembersHandler(members));
}
