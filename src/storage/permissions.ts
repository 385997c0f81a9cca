import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';

/**
 * Files holding secrets or tenants' data are the service user's alone: the data dir 0700; the SQLite
 * database with its WAL and shared memory, the generated openrc and the master key 0600. New files get
 * that from the process umask (077, set at start); this mends what an earlier version left readable.
 */
export function secureFiles(config: Config): void {
  const chmod = (file: string, mode: number) => {
    try {
      fs.chmodSync(file, mode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  };
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  chmod(config.dataDir, 0o700);
  const files = [path.join(config.dataDir, 'admin-openrc.sh'), config.masterKeyFile];
  if (config.databaseUrl.startsWith('sqlite:')) {
    const db = config.databaseUrl.slice('sqlite:'.length);
    if (db !== '' && db !== ':memory:') files.push(db, `${db}-wal`, `${db}-shm`);
  }
  for (const file of files) chmod(file, 0o600);
}
