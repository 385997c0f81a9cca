import { SecretBoxError } from '../auth/secret-box.js';
import { ConfigError } from '../config.js';
import { unusableReason } from '../db/errors.js';

/** A database URL as it may be shown: without its password. */
export function shownUrl(url: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/**
 * The one line a command that fails prints: the operator's mistakes and the machine's refusals (a bad flag, a port in
 * use, a database that cannot be used, a file that cannot be written) as a sentence; only a fault of ours as a stack.
 */
export function failureLine(err: unknown, databaseUrl: string | undefined): string {
  if (err instanceof ConfigError || err instanceof SecretBoxError
    || (err instanceof Error && err.message.startsWith('bootstrap:'))) return err.message;
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.syscall === 'listen') {
    const reason = e.code === 'EADDRINUSE' ? 'the address is already in use' : e.message;
    return `cannot listen on ${e.address ?? ''}:${e.port ?? ''}: ${reason}`;
  }
  const reason = unusableReason(err);
  if (reason !== undefined && databaseUrl !== undefined) return `cannot use the database ${shownUrl(databaseUrl)}: ${reason}`;
  // A file-system error names its path: "EACCES: permission denied, mkdir '/srv/ims'".
  if (typeof e?.syscall === 'string' && typeof e.code === 'string') return e.message;
  return (err as Error)?.stack ?? String(err);
}
