import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a token carries: enough to build a request context without touching the database. */
export interface TokenClaims {
  userId: string;
  projectId: string;
  roles: string[];
  /** Issue and expiry, seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
  auditId: string;
}

const PREFIX = 'ims1';

/** A signing key, and until when (seconds since the epoch) tokens it signed are accepted: none for the current one. */
export interface SigningKey {
  key: Buffer;
  until?: number;
}

/**
 * Stateless tokens: `ims1.<claims, base64url JSON>.<HMAC-SHA256, base64url>`. Signed with the first key;
 * verified with any key still accepted (after a rotation the previous key verifies until its tokens expire).
 */
export class TokenSigner {
  private readonly key: Buffer;

  constructor(private readonly keys: readonly SigningKey[]) {
    if (keys.length === 0) throw new Error('a token signer needs a key');
    this.key = keys[0]!.key;
  }

  issue(claims: Omit<TokenClaims, 'auditId'>): { token: string; claims: TokenClaims } {
    const full: TokenClaims = { ...claims, auditId: randomBytes(16).toString('base64url').slice(0, 22) };
    const body = Buffer.from(JSON.stringify([full.userId, full.projectId, full.roles, full.issuedAt,
      full.expiresAt, full.auditId])).toString('base64url');
    return { token: `${PREFIX}.${body}.${this.sign(body)}`, claims: full };
  }

  /** The claims of a well-formed, correctly signed, unexpired token; otherwise undefined. */
  verify(token: string, nowSeconds: number): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
    const [, body, sig] = parts as [string, string, string];
    const given = Buffer.from(sig);
    const signedBy = this.keys.find(({ key, until }) => {
      const expected = Buffer.from(this.sign(body, key));
      return (until === undefined || until > nowSeconds) && given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!signedBy) return undefined;
    let fields: unknown;
    try {
      fields = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (!Array.isArray(fields) || fields.length !== 6) return undefined;
    const [userId, projectId, roles, issuedAt, expiresAt, auditId] = fields as
      [string, string, string[], number, number, string];
    if (!(expiresAt > nowSeconds)) return undefined;
    return { userId, projectId, roles, issuedAt, expiresAt, auditId };
  }

  private sign(body: string, key = this.key): string {
    return createHmac('sha256', key).update(body).digest('base64url');
  }
}
