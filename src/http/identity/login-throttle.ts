import { BoundedMap } from '../../cache/bounded-map.js';

/**
 * Failed logins per source address in a sliding window: past `limit` failures within `windowMs`, the source
 * waits until the oldest leaves the window (a 429 with Retry-After). In memory, per process; bounded in
 * sources (the one that failed longest ago goes first) and in failures per source (`limit`). Security state,
 * not a cache: outside the cache space, so cache pressure never forgets a failure.
 */
export class LoginThrottle {
  private readonly failures: BoundedMap<string, number[]>;

  constructor(private readonly limit: number, private readonly windowMs = 60_000, maxSources = 100_000) {
    this.failures = new BoundedMap(maxSources);
  }

  /** Milliseconds until `source` may try again; 0 when it may now (or when throttling is off). */
  waitMs(source: string, now: number): number {
    if (this.limit <= 0) return 0;
    const times = this.recent(source, now);
    return times.length >= this.limit ? times[0]! + this.windowMs - now : 0;
  }

  failed(source: string, now: number): void {
    if (this.limit <= 0) return;
    const times = this.recent(source, now);
    times.push(now);
    if (times.length > this.limit) times.shift();
    this.failures.set(source, times);
  }

  private recent(source: string, now: number): number[] {
    const times = this.failures.get(source) ?? [];
    while (times.length > 0 && times[0]! <= now - this.windowMs) times.shift();
    if (times.length === 0) this.failures.delete(source);
    return times;
  }
}
