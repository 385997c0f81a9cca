import { performance } from 'node:perf_hooks';
import type { Clock } from '../domain/clock.js';
import type { RevocationEvent, RevocationRepo } from '../repos/revocation-repo.js';

/** What a revocation event is matched against: a token's claims. */
export interface RevocableToken {
  auditId: string;
  userId: string;
  projectId: string;
  /** Seconds since the epoch (with milliseconds). */
  issuedAt: number;
}

/** How often, at most, a process reads whether another one has revoked tokens: the bound on their delay. */
export const REVOCATION_POLL_MS = 1000;

/** The key of an event: it names one token (audit id), a user's tokens, a project's, or a user's on a project. */
const keyOf = (e: Pick<RevocationEvent, 'audit_id' | 'user_id' | 'project_id'>): string =>
  e.audit_id !== null ? `a\0${e.audit_id}` : `u\0${e.user_id ?? ''}\0p\0${e.project_id ?? ''}`;

/**
 * Keystone's revocation list. Events are kept in the database for every process; each process holds them in
 * memory, by key, with the latest `issued_before` of each, and reads them again when their version changed,
 * at most every REVOCATION_POLL_MS (`stale`, `refresh`). The process that revokes applies the event at once.
 */
export class Revocations {
  /** Event key to the time (ms) at or before which the tokens it names were issued. */
  private events = new Map<string, number>();
  private version: string | undefined;
  /** When (performance.now()) the last read of the version started. */
  private checkedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;
  /** Events this process revoked: one revoked while the events are read again is kept over what was read. */
  private revoked = 0;

  constructor(private readonly repo: RevocationRepo, private readonly clock: Clock) {}

  /** Whether an event revokes the token (a few map look-ups; none while nothing is revoked). */
  revokes(t: RevocableToken): boolean {
    if (this.events.size === 0) return false;
    const issued = t.issuedAt * 1000;
    const before = (key: string) => {
      const until = this.events.get(key);
      return until !== undefined && issued <= until;
    };
    return before(`a\0${t.auditId}`) || before(`u\0${t.userId}\0p\0`) || before(`u\0\0p\0${t.projectId}`)
      || before(`u\0${t.userId}\0p\0${t.projectId}`);
  }

  /** Whether the events must be read again before a token is accepted. */
  stale(): boolean {
    return performance.now() - this.checkedAt >= REVOCATION_POLL_MS;
  }

  /** Reads the events again if another process changed them (one read at a time, shared by its callers). */
  refresh(): Promise<void> {
    this.refreshing ??= this.read().finally(() => { this.refreshing = undefined; });
    return this.refreshing;
  }

  /**
   * Revokes tokens issued until now: one token (its audit id, until it expires), or those of a user, a project,
   * or a user on a project (for `ttlSeconds`, the longest a token lives).
   */
  async revoke(what: { auditId: string; expiresAt: number } | { userId?: string; projectId?: string },
    ttlSeconds: number): Promise<void> {
    const now = this.clock.now();
    const event: RevocationEvent = 'auditId' in what
      ? { audit_id: what.auditId, user_id: null, project_id: null, issued_before: now.toISOString(),
        expires_at: new Date(what.expiresAt * 1000).toISOString() }
      : { audit_id: null, user_id: what.userId ?? null, project_id: what.projectId ?? null,
        issued_before: now.toISOString(), expires_at: new Date(now.getTime() + ttlSeconds * 1000).toISOString() };
    await this.repo.insert(event, now.toISOString());
    this.revoked++;
    this.add(event);
  }

  private async read(): Promise<void> {
    const started = performance.now();
    const revoked = this.revoked;
    const version = await this.repo.version();
    if (version !== this.version) {
      const events = await this.repo.current(this.clock.now().toISOString());
      const kept = this.events;
      this.events = new Map();
      for (const e of events) this.add(e);
      if (this.revoked !== revoked) for (const [key, until] of kept) this.keep(key, until);
      this.version = version;
    }
    this.checkedAt = started;
  }

  private add(e: RevocationEvent): void {
    this.keep(keyOf(e), Date.parse(e.issued_before));
  }

  private keep(key: string, until: number): void {
    if (!(until <= (this.events.get(key) ?? Number.NEGATIVE_INFINITY))) this.events.set(key, until);
  }
}
