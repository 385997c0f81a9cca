/**
 * Failed logins per source address in a sliding window: past `limit` failures within `windowMs`, the source
 * waits until the oldest leaves the window (a 429 with Retry-After). In memory, per process; bounded in
 * sources (the one seen longest ago goes first) and in failures per source (`limit`).
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limit: number, private readonly windowMs = 60_000, private readonly maxSources = 100_000) {}

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
    this.failures.delete(source);
    this.failures.set(source, times);
    if (this.failures.size > this.maxSources) this.failures.delete(this.failures.keys().next().value!);
  }

  private recent(source: string, now: number): number[] {
    const times = this.failures.get(source) ?? [];
    while (times.length > 0 && times[0]! <= now - this.windowMs) times.shift();
    if (times.length === 0) this.failures.delete(source);
    return times;
  }
}
