import type { Config } from '../config.js';
import { buildContainer } from '../container.js';
import { logHealth } from '../db/health.js';
import { createLogger } from '../log.js';
import { secureFiles } from '../storage/permissions.js';
import { createJobRunner } from './tasks.js';

/**
 * `ims worker`: a job runner and nothing else, for scaling job processing out to more processes
 * on the same database. Migrates the database like `ims serve`. Returns once SIGTERM or SIGINT has
 * stopped it: the runner stops claiming, the running job finishes, the database is closed.
 */
export async function runWorker(config: Readonly<Config>): Promise<void> {
  const log = createLogger(config);
  const container = await buildContainer(config);
  secureFiles(config);
  logHealth(container.store.health, log);
  const runner = createJobRunner(container, log);
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  if (runner.types.length === 0) log.warn('no job types are registered: this worker will not run any job');
  runner.start();
  log.info({ database: container.store.dialect, workerId: runner.workerId }, 'ims worker running');
  const signal = await signalled;
  log.info({ signal }, 'shutting down: waiting for the running job');
  try {
    await runner.stop();
  } finally {
    await container.close();
  }
  log.info('stopped');
}
