/**
 * A JobRunner in a worker thread with its own database connection (pool), standing in for a second
 * process: better-sqlite3 waits for SQLite's write lock synchronously, so two connections to one
 * file can only run concurrently from different threads. Runs TEST_JOB with `pairsHandler`.
 * Messages: posts 'ready' once started; on 'stop' stops, closes and posts { executions }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../../src/db/database.js';
import { JobRunner } from '../../src/jobs/runner.js';
import { TEST_JOB, memoryLogger, pairsHandler } from './jobs.js';

export interface ThreadOptions {
  url: string;
  leaseSeconds: number;
  pollIntervalMs: number;
  workerId: string;
}

const options = workerData as ThreadOptions;
const store = openStore(options.url);
const executions: string[] = [];
const runner = new JobRunner(store, {
  logger: memoryLogger(),
  leaseSeconds: options.leaseSeconds,
  retentionSeconds: 3600,
  pollIntervalMs: options.pollIntervalMs,
  purgeIntervalMs: 0,
  workerId: options.workerId,
  taskList: { [TEST_JOB]: pairsHandler(executions) },
});
runner.start();
parentPort!.postMessage('ready');
parentPort!.on('message', (message) => {
  if (message !== 'stop') return;
  runner.stop().then(() => store.close()).then(() => {
    parentPort!.postMessage({ executions });
    parentPort!.close();
  });
});
