import { randomBytes } from 'node:crypto';
import { hashPassword, PasswordVerifier } from '../auth/password.js';
import { SecretBox } from '../auth/secret-box.js';
import { type TokenClaims, TokenSigner } from '../auth/token.js';
import type { Cache, CacheSpace } from '../cache/cache-space.js';
import type { Store } from '../db/database.js';
import type { Clock } from '../domain/clock.js';
import { contextFor, type RequestContext } from '../domain/context.js';
import { stableId } from '../domain/stable-id.js';
import { AppError, badRequest, notFound } from '../errors/app-error.js';
import { requireAdminOrSelf } from '../policy/identity.js';
import type { DomainRow, IdentityRepo, ProjectRow, UserRow } from '../repos/identity-repo.js';
import { type Bootstrap, Bootstrapper, type BootstrapSummary } from './identity-bootstrap.js';
import type { Revocations } from './revocation-service.js';
import { roleOf } from './role-service.js';
import { MAX_PASSWORD_LENGTH } from './user-service.js';

export interface Endpoints {
  publicUrl: string;
  region: string;
}

/** Keystone's `lockout_failure_attempts` (0: never locked) and `lockout_duration`. */
export interface LockoutPolicy {
  attempts: number;
  durationMs: number;
}

export interface IssuedToken {
  token: string;
  body: { token: Record<string, unknown> };
}

/** The setting holding the token-signing keys, sealed: `[{"key"}, {"key", "until"}, ...]`, the current one first. */
const TOKEN_KEYS = 'token_keys';

/** A stored signing key: sealed hex, and until when (ISO) it verifies, for a previous key. */
interface StoredKey {
  key: string;
  until?: string;
}

/** Keys are read again on an unknown token at most this often (one query a second, whatever comes in). */
const KEY_RELOAD_MS = 1000;


const unauthorized = () => new AppError('unauthorized', 'The request you have made requires authentication.');


/** Who a token is for: the user and project, each with its domain as the token shows it. */
interface TokenScope {
  user: UserRow;
  userDomain: { id: string; name: string };
  project: ProjectRow;
  projectDomain: { id: string; name: string };
}

type Ref = { id?: unknown; name?: unknown; domain?: { id?: unknown; name?: unknown } };

/** A verified token: the context it gives, and its claims for the revocation events. */
interface VerifiedToken {
  ctx: RequestContext;
  claims: TokenClaims;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Keystone v3 subset: password authentication, stateless tokens checked against the revocation events
 * (revocation-service.ts), the bootstrap file. Projects, users and roles are administered by their own services.
 */
export class IdentityService {
  private signer: TokenSigner | undefined;
  private readonly passwords: PasswordVerifier;
  /** Verified tokens until they expire, so the hot path skips the HMAC and parsing. */
  private readonly tokens: Cache<VerifiedToken>;
  /** The service catalog, under the public URL and region it was built for. */
  private readonly catalogs: Cache<unknown[], string>;

  private keysLoadedAt = 0;
  /** A hash of a random password: what an unknown user's password is checked against. */
  private readonly dummyHash = hashPassword(randomBytes(16).toString('hex'));
  private readonly bootstrapper: Bootstrapper;

  constructor(
    private readonly store: Store,
    private readonly repo: IdentityRepo,
    private readonly clock: Clock,
    caches: CacheSpace,
    private readonly tokenTtl: number,
    private readonly endpoints: () => Endpoints,
    private readonly box: SecretBox,
    private readonly revocations: Revocations,
    private readonly lockout: LockoutPolicy = { attempts: 0, durationMs: 0 },
  ) {
    this.passwords = new PasswordVerifier(caches);
    this.tokens = caches.cache('verified-tokens', () => clock.now().getTime());
    this.catalogs = caches.cache('catalog');
    this.bootstrapper = new Bootstrapper(repo, clock, box);
  }

  /**
   * Seals secrets an earlier version stored in clear, then loads the token-signing keys, creating the first
   * on first start (shared by every process on the database, sealed under the master key), and the
   * revocation events.
   */
  async init(): Promise<void> {
    await this.sealClearSecrets();
    await this.loadKeys();
    await this.revocations.refresh();
  }

  /** A new token-signing key; the previous ones still verify the tokens they signed until those expire. */
  async rotateTokenKey(): Promise<void> {
    await this.store.transaction(async (trx) => {
      const now = this.clock.now().getTime();
      const until = new Date(now + this.tokenTtl * 1000).toISOString();
      const kept = this.storedKeys(await this.repo.setting(TOKEN_KEYS, trx), now)
        .map((k) => ({ key: k.key, until: k.until ?? until }));
      const keys: StoredKey[] = [{ key: this.box.seal(randomBytes(32).toString('hex')) }, ...kept];
      await this.repo.putSetting(TOKEN_KEYS, JSON.stringify(keys), trx);
    });
    await this.loadKeys();
  }

  /**
   * A token's context when `verify` gave none: the revocation events read again if they are due (another
   * process may have revoked it), and when the token still fails, the keys read again (at most every second:
   * another process may have rotated them) and the token checked once more.
   */
  async verifyWithReload(token: string): Promise<RequestContext | undefined> {
    if (this.revocations.stale()) await this.revocations.refresh();
    const ctx = this.check(token);
    if (ctx || this.clock.now().getTime() - this.keysLoadedAt < KEY_RELOAD_MS) return ctx;
    await this.loadKeys();
    return this.check(token);
  }

  /** `POST /v3/auth/tokens` with the password method. */
  async authenticate(body: unknown): Promise<IssuedToken> {
    const auth = isObject(body) && isObject(body.auth) ? body.auth : undefined;
    const identity = auth && isObject(auth.identity) ? auth.identity : undefined;
    if (!identity) throw badRequest('Expecting to find auth.identity in request body.');
    const methods = identity.methods;
    if (!Array.isArray(methods) || !methods.includes('password')) {
      throw new AppError('unauthorized', 'Unsupported authentication method.');
    }
    const password = isObject(identity.password) ? identity.password : undefined;
    const userRef = password && isObject(password.user) ? (password.user as Ref & { password?: unknown }) : undefined;
    if (!userRef || typeof userRef.password !== 'string') {
      throw badRequest('Expecting to find password.user.password in request body.');
    }
    // Keystone's max_password_length: a longer one is never hashed (hashing costs the same per byte).
    if (userRef.password.length > MAX_PASSWORD_LENGTH) {
      throw badRequest(`Invalid input for field 'password': longer than ${MAX_PASSWORD_LENGTH} characters.`);
    }
    const user = await this.findUser(userRef);
    if (!user) {
      // As slow as a wrong password, so an unknown name cannot be told from a known one by the time taken.
      await this.passwords.verify(userRef.password, await this.dummyHash);
      throw unauthorized();
    }
    const now = this.clock.now();
    if (this.isLocked(user, now)) throw new AppError('unauthorized', `The account is locked for user: ${user.id}.`);
    if (!(await this.passwords.verify(userRef.password, user.password_hash))) {
      if (this.lockout.attempts > 0) await this.repo.failedAuth(user.id, now.toISOString());
      throw unauthorized();
    }
    if (user.failed_auth_count > 0) await this.repo.clearFailedAuth(user.id);
    if (user.enabled !== 1) throw new AppError('unauthorized', `The account is disabled for user: ${user.id}.`);
    // Keystone: the users of a disabled domain cannot log in, nor anyone into its projects.
    const userDomain = await this.enabledDomain(user.domain_id);
    if (!userDomain) throw unauthorized();

    const scope = auth!.scope;
    let project: ProjectRow | undefined;
    if (scope === undefined || scope === null) {
      project = user.default_project_id === null ? undefined : await this.repo.projectById(user.default_project_id);
    } else if (isObject(scope) && isObject(scope.project)) {
      project = await this.findProject(scope.project as Ref);
    } else {
      throw badRequest('Only project scope is supported.');
    }
    const projectDomain = project?.enabled === 1 ? await this.enabledDomain(project.domain_id) : undefined;
    if (!project || !projectDomain) throw unauthorized();
    const roles = await this.repo.rolesOn(user.id, project.id);
    if (roles.length === 0) throw unauthorized();
    const { token, claims } = this.issue(user.id, project.id, roles);
    return { token, body: this.tokenBody(claims, { user, userDomain, project, projectDomain }) };
  }

  /** Keystone's lockout: `attempts` failed password checks in a row lock the account for `durationMs`. */
  private isLocked(user: UserRow, now: Date): boolean {
    const { attempts, durationMs } = this.lockout;
    return attempts > 0 && user.failed_auth_count >= attempts && user.failed_auth_at !== null
      && Date.parse(user.failed_auth_at) + durationMs > now.getTime();
  }

  private storedKeys(stored: string | undefined, nowMs: number): StoredKey[] {
    const keys = stored === undefined ? [] : JSON.parse(stored) as StoredKey[];
    return keys.filter((k) => k.until === undefined || Date.parse(k.until) > nowMs);
  }

  private async loadKeys(): Promise<void> {
    const now = this.clock.now().getTime();
    const stored = await this.repo.setting(TOKEN_KEYS)
      ?? await this.repo.settingOrInsert(TOKEN_KEYS, JSON.stringify([{ key: this.box.seal(randomBytes(32).toString('hex')) }]));
    this.signer = new TokenSigner(this.storedKeys(stored, now).map((k) => ({
      key: Buffer.from(this.box.open(k.key), 'hex'),
      ...(k.until === undefined ? {} : { until: Math.floor(Date.parse(k.until) / 1000) }),
    })));
    this.keysLoadedAt = now;
  }

  /** Earlier versions kept the token key and AK/SK secrets in clear: sealed once, here (idempotent). */
  private async sealClearSecrets(): Promise<void> {
    const clearKey = await this.repo.setting('token_key');
    if (clearKey !== undefined) {
      await this.repo.settingOrInsert(TOKEN_KEYS, JSON.stringify([{ key: this.box.seal(clearKey) }]));
      await this.repo.deleteSetting('token_key');
    }
    for (const { access, secret } of await this.repo.allAccessKeys()) {
      if (!SecretBox.isSealed(secret)) await this.repo.setAccessKeySecret(access, this.box.seal(secret));
      else this.box.open(secret);
    }
  }

  /**
   * Token check on the hot path: signature, expiry and the revocation events in memory, no database round trip.
   * None when the events are due to be read again (at most every second): `verifyWithReload` reads them.
   */
  verify(token: string): RequestContext | undefined {
    return this.revocations.stale() ? undefined : this.check(token);
  }

  private check(token: string): RequestContext | undefined {
    const kept = this.tokens.get(token, 0) ?? this.parse(token);
    return kept && !this.revocations.revokes(kept.claims) ? kept.ctx : undefined;
  }

  private parse(token: string): VerifiedToken | undefined {
    const claims = this.signer!.verify(token, Math.floor(this.clock.now().getTime() / 1000));
    if (!claims) return undefined;
    const verified = { ctx: contextFor(claims.userId, claims.projectId, claims.roles), claims };
    // The token (as key), the context and its roles, the claims.
    return this.tokens.set(token, 0, verified, 640 + 2 * token.length, claims.expiresAt * 1000);
  }

  /**
   * `DELETE /v3/auth/tokens`: Keystone's `identity:revoke_token` (admins revoke any token, others their own); an
   * invalid, expired or revoked token is not found. Every process refuses it within REVOCATION_POLL_MS; this one
   * at once.
   */
  async revokeToken(ctx: RequestContext, token: string): Promise<void> {
    const claims = await this.validClaims(token);
    requireAdminOrSelf(ctx, claims.userId, 'revoke_token');
    await this.revocations.revoke({ auditId: claims.auditId, expiresAt: claims.expiresAt }, this.tokenTtl);
  }

  /** The claims of a token neither expired nor revoked (the events read again if due), else Keystone's 404. */
  private async validClaims(token: string): Promise<TokenClaims> {
    if (this.revocations.stale()) await this.revocations.refresh();
    const claims = this.signer!.verify(token, Math.floor(this.clock.now().getTime() / 1000));
    if (!claims || this.revocations.revokes(claims)) throw notFound('Could not find token.');
    return claims;
  }

  /**
   * `GET /v3/auth/tokens`: the body of a valid token, or 404 like Keystone. Keystone's `identity:validate_token`:
   * admins validate any token, others only their own (the token's subject); else 403.
   */
  async describe(ctx: RequestContext, token: string): Promise<IssuedToken['body']> {
    const claims = await this.validClaims(token);
    requireAdminOrSelf(ctx, claims.userId, 'validate_token');
    const user = await this.repo.userById(claims.userId);
    const project = await this.repo.projectById(claims.projectId);
    const userDomain = user && await this.enabledDomain(user.domain_id);
    const projectDomain = project && await this.enabledDomain(project.domain_id);
    if (!user || !project || !userDomain || !projectDomain) throw notFound('Could not find token.');
    return this.tokenBody(claims, { user, userDomain, project, projectDomain });
  }

  issueFor(userId: string, projectId: string, roles: string[]): string {
    return this.issue(userId, projectId, roles).token;
  }

  /**
   * A new token. Its issue time keeps the milliseconds, so a token issued right after a revocation (a new password,
   * then a login) is not taken for one issued before it.
   */
  private issue(userId: string, projectId: string, roles: string[]): { token: string; claims: TokenClaims } {
    const nowMs = this.clock.now().getTime();
    return this.signer!.issue({ userId, projectId, roles, issuedAt: nowMs / 1000,
      expiresAt: Math.floor(nowMs / 1000) + this.tokenTtl });
  }

  /** Applies a bootstrap file (identity-bootstrap.ts): what it created or found. */
  applyBootstrap(spec: Bootstrap): Promise<BootstrapSummary> {
    return this.bootstrapper.apply(spec);
  }

  /** First start with an empty store: project and user `admin` with a random password. */
  async createDefaultAdmin(): Promise<string | undefined> {
    if ((await this.repo.countUsers()) > 0) return undefined;
    const password = randomBytes(18).toString('base64url');
    const project = await this.bootstrapper.ensureProject('admin');
    await this.bootstrapper.ensureUser('admin', password, project, ['admin', 'member', 'reader']);
    return password;
  }

  private async findUser(ref: Ref): Promise<UserRow | undefined> {
    if (typeof ref.id === 'string') return this.repo.userById(ref.id);
    if (typeof ref.name !== 'string') throw badRequest('Expecting to find user.id or user.name in request body.');
    const domain = await this.domainOf(ref.domain);
    return domain && this.repo.userByName(domain.id, ref.name);
  }

  private async findProject(ref: Ref): Promise<ProjectRow | undefined> {
    if (typeof ref.id === 'string') return this.repo.projectById(ref.id);
    if (typeof ref.name !== 'string') throw badRequest('Expecting to find project.id or project.name in request body.');
    const domain = await this.domainOf(ref.domain);
    return domain && this.repo.projectByName(domain.id, ref.name);
  }

  /** The domain a `{"id"}` or `{"name"}` reference names. */
  private async domainOf(ref: Ref['domain']): Promise<DomainRow | undefined> {
    if (!isObject(ref)) return undefined;
    if (ref.id !== undefined) return typeof ref.id === 'string' ? this.repo.domainById(ref.id) : undefined;
    return typeof ref.name === 'string' ? this.repo.domainByName(ref.name) : undefined;
  }

  /** An enabled domain's id and name, as tokens show them (undefined: missing or disabled). */
  private async enabledDomain(id: string): Promise<{ id: string; name: string } | undefined> {
    const domain = await this.repo.domainById(id);
    return domain?.enabled ? { id: domain.id, name: domain.name } : undefined;
  }

  /** The service catalog: the same for every token while the public URL and region stay the same. */
  private catalog(): unknown[] {
    const { publicUrl, region } = this.endpoints();
    const where = `${publicUrl}\u0000${region}`;
    const kept = this.catalogs.get('', where);
    if (kept) return kept;
    const endpoint = (service: string, url: string) => ['public', 'internal', 'admin'].map((iface) => ({
      id: stableId(`endpoint:${service}`, iface), interface: iface, region, region_id: region, url,
    }));
    const catalog = [
      { type: 'identity', name: 'keystone', id: stableId('service', 'identity'),
        endpoints: endpoint('identity', `${publicUrl}/v3`) },
      { type: 'image', name: 'glance', id: stableId('service', 'image'), endpoints: endpoint('image', publicUrl) },
    ];
    return this.catalogs.set('', where, catalog, 2048 + 12 * where.length);
  }

  private tokenBody(claims: TokenClaims, scope: TokenScope): IssuedToken['body'] {
    const iso = (sec: number) => `${new Date(sec * 1000).toISOString().slice(0, 19)}.000000Z`;
    const { user, project } = scope;
    return {
      token: {
        methods: ['password'],
        user: { id: user.id, name: user.name, domain: scope.userDomain, password_expires_at: null },
        audit_ids: [claims.auditId],
        expires_at: iso(claims.expiresAt),
        issued_at: iso(claims.issuedAt),
        project: { id: project.id, name: project.name, domain: scope.projectDomain },
        is_domain: false,
        roles: claims.roles.map(roleOf),
        catalog: this.catalog(),
      },
    };
  }
}
