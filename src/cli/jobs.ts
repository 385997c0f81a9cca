import type { Command } from 'commander';
import { type Job, ImsJobError } from '../client/ims-client.js';
import { clientCommand, group, waitOptions } from './command.js';
import { type Format, printList, printObject } from './output.js';
import { progress } from './progress.js';
import type { Session } from './session.js';

export interface WaitOptions {
  timeout: number;
  interval: number;
  progress: boolean;
}

/** A job as a table shows it: its fields, the count of pairs done, and its failed pairs. */
export async function printJob(format: Format, job: Job): Promise<void> {
  if (format !== 'table') return printObject(format, job);
  const results = job.entities.results ?? [];
  const failed = results.filter((r) => r.status !== 'success');
  const { entities: _, ...fields } = job;
  await printObject(format, { ...fields, pairs: `${results.length - failed.length} succeeded, ${failed.length} failed` });
  if (failed.length > 0) {
    await printList(format, failed, [
      { header: 'image_id', value: (r) => r.image_id }, { header: 'project_id', value: (r) => r.project_id },
      { header: 'status', value: (r) => r.status }]);
  }
}

/**
 * Polls the job until it ends, showing pairs done of `total` (when the caller knows it: the job body reports the
 * pairs done so far, not how many there are), their rate and the time left; prints the job; a FAIL rejects with
 * ImsJobError (exit 5) once printed.
 */
export async function waitAndPrint(session: Session, jobId: string, total: number | undefined, opts: WaitOptions,
  format: Format): Promise<void> {
  const shown = await progress(`job ${jobId}`, 'pairs', { enabled: opts.progress, fromZero: total !== undefined });
  let job: Job;
  try {
    job = await session.images.waitForJob(session.projectId, jobId, {
      timeoutMs: opts.timeout * 1000, intervalMs: opts.interval * 1000,
      onPoll: (polled) => shown.update(polled.entities.results?.length ?? 0, total),
    });
  } catch (err) {
    shown.stop();
    if (err instanceof ImsJobError && err.reason === 'failed' && err.job) await printJob(format, err.job);
    throw err;
  }
  shown.stop();
  await printJob(format, job);
}

export function addJobCommands(program: Command): void {
  const jobs = group(program, 'job', 'batch jobs: show one, or wait for it to finish');
  clientCommand(jobs, 'show <job>', 'show a job: status, pairs done, failed pairs', async ({ args, opts, session }) => {
    await printJob(opts.output, await (await session()).images.showJobProgress(args[0] as string));
  });
  clientCommand<WaitOptions>(jobs, 'wait <job>', 'wait for a job to finish, showing pairs done and their rate; '
    + 'exit 5 if it failed', async ({ args, opts, session }) => {
    await waitAndPrint(await session(), args[0] as string, undefined, opts, opts.output);
  }, (cmd) => waitOptions(cmd, false));
}
