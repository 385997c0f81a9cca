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

/** Stateless tokens: `ims1.<claims, base64url JSON>.<HMAC-SHA256, base64url>`, signed with a key from the store. */
export class TokenSigner {
  constructor(private readonly key: Buffer) {}

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
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
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

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
