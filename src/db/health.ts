import { transientReason } from './errors.js';

/** A change of the database's availability, as this process sees it. */
export type HealthEvent =
  | { available: false; reason: string }
  | { available: true; downMs: number; failures: number };

/**
 * Whether the database answers, as seen by the statements this process runs: the first transient fault
 * starts an episode and the next success ends it. Listeners hear each episode once (its start and its
 * end), however many requests failed in it, so a fault is logged once and not once per request.
 */
export class DbHealth {
  private down: { since: number; reason: string; failures: number } | undefined;
  private readonly listeners = new Set<(event: HealthEvent) => void>();
  /** Failed statements since the store opened: transient faults (unavailable, locked, too slow), and the others. */
  readonly errors = { transient: 0, other: 0 };

  /** The reason of the current episode, or undefined while the database answers. */
  get unavailable(): string | undefined {
    return this.down?.reason;
  }

  /** A statement failed: starts an episode when the fault is transient and none is going on. */
  failed(err: unknown): void {
    const reason = transientReason(err);
    if (reason === undefined) {
      this.errors.other++;
      return;
    }
    this.errors.transient++;
    if (this.down) {
      this.down.failures++;
      return;
    }
    this.down = { since: Date.now(), reason, failures: 1 };
    this.emit({ available: false, reason });
  }

  /** A statement succeeded: ends the episode, if any. Cheap enough for every statement. */
  succeeded(): void {
    if (this.down === undefined) return;
    const { since, failures } = this.down;
    this.down = undefined;
    this.emit({ available: true, downMs: Date.now() - since, failures });
  }

  watch(listener: (event: HealthEvent) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  private emit(event: HealthEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

/** Logs each episode once, at warn (both ends): when the database stops answering, and when it answers again. */
export function logHealth(health: DbHealth, log: { warn(obj: object, msg: string): void }): () => void {
  return health.watch((event) => {
    if (event.available) log.warn({ downMs: event.downMs, failedStatements: event.failures }, 'database available again');
    else log.warn({ reason: event.reason }, 'database unavailable');
  });
}
