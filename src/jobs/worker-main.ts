import type { Config } from '../config.js';

export async function runWorker(_config: Readonly<Config>): Promise<void> {
  throw new Error('the job runner is not built yet');
}
