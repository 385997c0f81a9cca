/**
 * What was built from a row (a domain object, a list), kept under the row's key and `images.rev` (see
 * migration 0003): valid exactly while the database still shows that rev, which the caller has just read.
 * Bounded by total weight (1 per entry unless given); the entry set longest ago goes first.
 */
export class RevCache<V> {
  private readonly entries = new Map<string, { rev: number; value: V; weight: number }>();
  private total = 0;

  constructor(private readonly maxWeight: number) {}

  get(key: string, rev: number): V | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.rev === rev ? entry.value : undefined;
  }

  set(key: string, rev: number, value: V, weight = 1): V {
    this.remove(key);
    if (weight > this.maxWeight) return value;
    for (const [oldest, entry] of this.entries) {
      if (this.total + weight <= this.maxWeight) break;
      this.entries.delete(oldest);
      this.total -= entry.weight;
    }
    this.entries.set(key, { rev, value, weight });
    this.total += weight;
    return value;
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.total -= entry.weight;
  }
}
