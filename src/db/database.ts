import { openPostgres } from './postgres-store.js';
import { openSqlite } from './sqlite-store.js';
import { DEFAULT_STORE_OPTIONS, type Store, type StoreOptions } from './store.js';

export type { Capabilities, DialectName, Store, StoreOptions } from './store.js';
export { DEFAULT_STORE_OPTIONS } from './store.js';

export function openStore(url: string, options: StoreOptions = DEFAULT_STORE_OPTIONS): Store {
  if (url.startsWith('sqlite:')) return openSqlite(url, options);
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options);
  throw new Error(`unsupported database url: ${url}`);
}
