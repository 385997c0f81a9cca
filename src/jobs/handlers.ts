import type { Container } from '../container.js';
import type { JobRunner } from './runner.js';

/**
 * Registers the handler of every job type this service runs (one file per type in this folder),
 * for both `ims serve` and `ims worker`. The batch member jobs (imsAddImageMembersJob,
 * imsUpdateImageMembersJob, imsDelImageMembersJob) are registered here once written; a runner
 * claims only the types registered on it. Handlers must keep the contract in runner.ts.
 */
export function registerJobHandlers(_runner: JobRunner, _container: Container): void {
  // No job types yet.
}
