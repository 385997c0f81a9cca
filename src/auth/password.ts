import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Cache, CacheSpace } from '../cache/cache-space.js';

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;
const PARAMS = { N: 16384, r: 8, p: 1 };
const KEY_LEN = 32;

/** `scrypt$N$r$p$salt$hash` (base64), self-describing so parameters can change later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEY_LEN, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n), r: Number(r), p: Number(p),
  });
  return timingSafeEqual(key, expected);
}

/**
 * scrypt is deliberately slow (~50 ms): a correct password, once verified, is remembered for a few minutes
 * as an HMAC (per-process random key) of (stored hash, password), so repeated logins of automation do not pay
 * it again; in the cache space, so a budget of 0 verifies every time. Failed attempts are never cached, so
 * guessing still costs a full scrypt each time.
 */
export class PasswordVerifier {
  private readonly verified: Cache<true>;
  /** Keys the remembered digests, so a memory dump does not allow fast offline guessing. */
  private readonly secret = randomBytes(32);

  constructor(caches: CacheSpace, private readonly now: () => number = Date.now, private readonly ttlMs = 300_000,
    private readonly check: (password: string, stored: string) => Promise<boolean> = verifyPassword) {
    this.verified = caches.cache('verified-passwords', now);
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const key = createHmac('sha256', this.secret).update(stored).update('\0').update(password).digest('base64');
    if (this.verified.get(key, 0)) return true;
    if (!(await this.check(password, stored))) return false;
    this.verified.set(key, 0, true, 256, this.now() + this.ttlMs);
    return true;
  }
}
