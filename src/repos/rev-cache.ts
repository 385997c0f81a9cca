/**
 * What was built from rows (a domain object, a list), kept under a key and the version the rows showed
 * (`images.rev`, migration 0003; `list_revs`, migration 0004): valid exactly while the database still
 * shows that version, which the caller has just read.
 * Bounded by total weight (1 per entry unless given); the entry set longest ago goes first.
 */
export class RevCache<V, Rev extends number | string = number> {
  private readonly entries = new Map<string, { rev: Rev; value: V; weight: number }>();
  private total = 0;

  constructor(private readonly maxWeight: number) {}

  get(key: string, rev: Rev): V | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.rev === rev ? entry.value : undefined;
  }

  set(key: string, rev: Rev, value: V, weight = 1): V {
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
