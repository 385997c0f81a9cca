import { randomBytes } from 'node:crypto';
import type { SecretBox } from '../auth/secret-box.js';
import type { Cache, CacheSpace } from '../cache/cache-space.js';
import { type Clock, isoNow } from '../domain/clock.js';
import type { RequestContext } from '../domain/context.js';
import {
  akskLimit, iamBodyInvalid, iamForbidden, iamNotFound, iamParamInvalid,
} from '../errors/iam.js';
import type { AccessKeyRepo, AccessKeyRow, DomainCaller } from '../repos/access-key-repo.js';
import type { IdentityRepo } from '../repos/identity-repo.js';

/** IAM's limit of permanent access keys per user. */
export const KEYS_PER_USER = 2;
/** IAM's longest description. */
const MAX_DESCRIPTION = 255;
export const KEY_STATUSES = ['active', 'inactive'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];
/** How often a key's last use is written, at most (per process). */
const TOUCH_EVERY_MS = 60_000;

const AK_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const SK_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` characters of `alphabet`, uniformly (bytes past the last whole multiple of its size are drawn again). */
function randomText(alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/** A key as IAM shows it: no secret. */
export interface KeyView {
  user_id: string;
  access: string;
  status: KeyStatus;
  create_time: string;
  description: string;
}

/** IAM's time form: microseconds and a Z (`2020-01-08T06:25:19.014000Z`); ours are stored to the millisecond. */
export const iamTime = (iso: string): string => `${iso.slice(0, 23)}000Z`;

const view = (row: AccessKeyRow): KeyView => ({
  user_id: row.user_id, access: row.access, status: row.status as KeyStatus, create_time: iamTime(row.created_at),
  description: row.description,
});

/** A key with its secret opened: what a signature is checked against. */
export interface SigningKey {
  access: string;
  secret: string;
  user_id: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `body.credential`, an object, or IAM's 400. */
function credentialOf(body: unknown): Record<string, unknown> {
  if (!isObject(body) || !isObject(body.credential)) throw iamBodyInvalid();
  return body.credential;
}

function description(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > MAX_DESCRIPTION) throw iamParamInvalid('credential.description');
  return value;
}

/**
 * Huawei IAM's permanent access keys: a user manages their own, an admin (Keystone's admin role) anyone's. Secrets
 * are sealed at rest and shown once, when created. Every signed request reads its key's row, so a deleted or
 * inactive key fails at once in every process; only the opening of a sealed secret is kept (by its sealed text).
 */
export class AccessKeyService {
  /** Opened secrets by sealed text: a key whose row is gone or rewritten is never found here again. */
  private readonly opened: Cache<string>;
  /** When this process last wrote each key's last use. */
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly keys: AccessKeyRepo,
    private readonly identity: IdentityRepo,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    caches: CacheSpace,
  ) {
    this.opened = caches.cache('aksk-secrets');
  }

  /** `POST /v3.0/OS-CREDENTIAL/credentials`: the new key, with its secret (the only time it is shown). */
  async create(ctx: RequestContext, body: unknown): Promise<KeyView & { secret: string }> {
    const credential = credentialOf(body);
    const userId = credential.user_id;
    if (typeof userId !== 'string' || userId === '') throw iamParamInvalid('credential.user_id');
    const text = description(credential.description) ?? '';
    this.mayManage(ctx, userId);
    if (!(await this.identity.userById(userId))) throw iamNotFound('user', userId);
    const secret = randomText(SK_ALPHABET, 40);
    const row = { access: randomText(AK_ALPHABET, 20), secret: this.box.seal(secret), user_id: userId,
      created_at: isoNow(this.clock), status: 'active', description: text, last_used_at: null };
    if (!(await this.keys.insertWithin(row, KEYS_PER_USER))) throw akskLimit();
    return { ...view(row), secret };
  }

  /** `GET /v3.0/OS-CREDENTIAL/credentials[?user_id=]`: the user's keys (by default the caller's). */
  async list(ctx: RequestContext, userId: string | undefined): Promise<KeyView[]> {
    if (userId === '') throw iamParamInvalid('user_id');
    const whose = userId ?? ctx.userId;
    this.mayManage(ctx, whose);
    return (await this.keys.list(whose)).map(view);
  }

  /** `GET /v3.0/OS-CREDENTIAL/credentials/{access_key}`, with when the key was last used (else its creation). */
  async show(ctx: RequestContext, access: string): Promise<KeyView & { last_use_time: string }> {
    const row = await this.owned(ctx, access);
    return { ...view(row), last_use_time: iamTime(row.last_used_at ?? row.created_at) };
  }

  /** `PUT /v3.0/OS-CREDENTIAL/credentials/{access_key}`: its status and/or description. */
  async update(ctx: RequestContext, access: string, body: unknown): Promise<KeyView> {
    const credential = credentialOf(body);
    const status = credential.status;
    if (status !== undefined && !KEY_STATUSES.includes(status as never)) throw iamParamInvalid('credential.status');
    const text = description(credential.description);
    await this.owned(ctx, access);
    const row = await this.keys.update(access, { status: status as string | undefined, description: text });
    if (!row) throw iamNotFound('credential', access);
    return view(row);
  }

  /** `DELETE /v3.0/OS-CREDENTIAL/credentials/{access_key}`. */
  async remove(ctx: RequestContext, access: string): Promise<void> {
    await this.owned(ctx, access);
    if (!(await this.keys.delete(access))) throw iamNotFound('credential', access);
  }

  /** The active key `access` with its secret opened, for a signature check; undefined if unknown or inactive. */
  async signingKey(access: string): Promise<SigningKey | undefined> {
    const row = await this.keys.credential(access);
    if (!row || row.status !== 'active') return undefined;
    let secret = this.opened.get(row.secret, 0);
    if (secret === undefined) secret = this.opened.set(row.secret, 0, this.box.open(row.secret), 128 + 2 * row.secret.length);
    return { access: row.access, secret, user_id: row.user_id };
  }

  /**
   * Notes that the key authenticated a request that succeeded: written at most once a minute per process, before
   * the answer. Best effort: a failed write is not the request's failure (the next request writes it again).
   */
  async used(access: string): Promise<void> {
    const now = this.clock.now().getTime();
    if (now - (this.touched.get(access) ?? -Infinity) < TOUCH_EVERY_MS) return;
    this.touched.set(access, now);
    await this.keys.touch(access, new Date(now).toISOString()).catch(() => this.touched.delete(access));
  }

  /** What a domain-scoped signed caller (X-Domain-Id) is: the user's domain, default project and roles. */
  domainCaller(userId: string): Promise<DomainCaller | undefined> {
    return this.keys.domainCaller(userId);
  }

  /** The key, if the caller may manage it: 404 if it does not exist, 403 if it is another's and they are no admin. */
  private async owned(ctx: RequestContext, access: string): Promise<AccessKeyRow> {
    const row = await this.keys.find(access);
    if (!row) throw iamNotFound('credential', access);
    this.mayManage(ctx, row.user_id);
    return row;
  }

  private mayManage(ctx: RequestContext, userId: string): void {
    if (!ctx.isAdmin && ctx.userId !== userId) throw iamForbidden();
  }
}
