import type { RequestContext } from '../../src/domain/context.js';
import type { JobService, JobView } from '../../src/services/job-service.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { JobHandler } from '../../src/jobs/runner.js';
import type { DatabaseKind } from './databases.js';

/** A database several stores (processes, threads) can open: a file for SQLite, a schema for PostgreSQL. */
export async function sharedDatabase(kind: DatabaseKind): Promise<{ url: string; drop(): Promise<void> }> {
  if (kind.name === 'postgres') return kind.create();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-jobs-'));
  return { url: `sqlite:${path.join(dir, 'ims.db')}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export async function openMigrated(url: string): Promise<Store> {
  const store = openStore(url);
  await migrateToLatest(store);
  return store;
}

/** A silent logger that keeps what was logged, for assertions. */
export function memoryLogger() {
  const lines: { level: string; msg: string | undefined; obj: object }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => { lines.push({ level, msg, obj }); };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const TEST_JOB = 'test.pairs';

/** Payload of TEST_JOB: the pairs to record, and how long to pause before each one. */
export interface PairsPayload {
  pairs: [string, string][];
  delayMs?: number;
}

export const pause = (ms: number) => new Promise<void>((resolve) => { setTimeout(resolve, ms); });

/** A handler typed for its payload, as a task list holds it. */
export const task = <P>(handler: JobHandler<P>) => handler as JobHandler<never>;

/**
 * A handler that keeps the runner contract: one chunk per pair, skipping recorded pairs; it pushes
 * the job id onto `executions` each time it starts, so tests can count real executions.
 */
export function pairsHandler(executions: string[]): JobHandler<never> {
  return task<PairsPayload>(async (payload, ctx) => {
    executions.push(ctx.job.id);
    const done = await ctx.recordedPairs();
    for (const [imageId, projectId] of payload.pairs) {
      if (done.has(imageId, projectId)) continue;
      if (payload.delayMs) await pause(payload.delayMs);
      await ctx.commitChunk(async () => undefined, [{ imageId, projectId, status: 'success' }]);
    }
    return { status: 'SUCCESS' };
  });
}

/** The whole view of a job small enough to be shown in one piece (JobService.show). */
export async function jobView(jobs: JobService, ctx: RequestContext, id: string): Promise<JobView> {
  const body = await jobs.show(ctx, id);
  if (!('view' in body)) throw new Error(`job ${id} has more results than one view holds`);
  return body.view;
}
