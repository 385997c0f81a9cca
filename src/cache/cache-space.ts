interface Entry {
  cache: Cache<unknown, unknown>;
  key: string;
  rev: unknown;
  value: unknown;
  bytes: number;
  prev: Entry | undefined;
  next: Entry | undefined;
}

/**
 * The memory every cache of the process shares, bounded in bytes (`--cache-mb`): images, member lists,
 * list pages, finished jobs, and the rendered bodies kept with them. The entry stored longest ago goes
 * first, whichever cache holds it. Owned by the composition root; a budget of 0 keeps nothing.
 *
 * Sizes are estimates the caches give for each entry (the value and what is rendered from it), so the
 * budget bounds what caches hold, not every byte of the process.
 */
export class CacheSpace {
  private head: Entry | undefined;
  private tail: Entry | undefined;
  private total = 0;
  private readonly caches = new Map<string, Cache<unknown, unknown>>();

  constructor(readonly maxBytes: number) {}

  /** A cache of values kept under a key and the version (`rev`) of the rows they were built from. */
  cache<V, Rev = number>(name: string): Cache<V, Rev> {
    if (this.caches.has(name)) throw new Error(`a cache named ${name} exists already`);
    const cache = new Cache<V, Rev>(this, name);
    this.caches.set(name, cache as Cache<unknown, unknown>);
    return cache;
  }

  /** Bytes held now, over all caches. */
  get bytes(): number {
    return this.total;
  }

  /** Per cache: entries, bytes, hits and misses (for metrics and tests). */
  stats(): Record<string, { entries: number; bytes: number; hits: number; misses: number }> {
    return Object.fromEntries([...this.caches].map(([name, c]) => [name, c.stats()]));
  }

  /** @internal */
  add(entry: Entry): boolean {
    if (entry.bytes > this.maxBytes) return false;
    entry.prev = this.tail;
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    this.total += entry.bytes;
    while (this.total > this.maxBytes && this.head) this.head.cache.drop(this.head);
    return true;
  }

  /** @internal */
  unlink(entry: Entry): void {
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.tail = entry.prev;
    entry.prev = entry.next = undefined;
    this.total -= entry.bytes;
  }
}

/**
 * What was built from rows, kept under a key and the version the rows showed (`images.rev`, `list_revs`,
 * a job's end time): valid exactly while the database still shows that version, which the caller has just
 * read. Part of a CacheSpace, which decides what goes when memory runs short.
 */
export class Cache<V, Rev = number> {
  private readonly entries = new Map<string, Entry>();
  private hits = 0;
  private misses = 0;

  constructor(private readonly space: CacheSpace, readonly name: string) {}

  get(key: string, rev: Rev): V | undefined {
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.rev === rev) {
      this.hits++;
      return entry.value as V;
    }
    this.misses++;
    return undefined;
  }

  /** Keeps `value` (of about `bytes` bytes) unless it alone exceeds the budget; returns it either way. */
  set(key: string, rev: Rev, value: V, bytes: number): V {
    const old = this.entries.get(key);
    if (old) this.drop(old);
    const entry: Entry = { cache: this as Cache<unknown, unknown>, key, rev, value, bytes, prev: undefined, next: undefined };
    if (this.space.add(entry)) this.entries.set(key, entry);
    return value;
  }

  stats(): { entries: number; bytes: number; hits: number; misses: number } {
    let bytes = 0;
    for (const e of this.entries.values()) bytes += e.bytes;
    return { entries: this.entries.size, bytes, hits: this.hits, misses: this.misses };
  }

  /** @internal */
  drop(entry: Entry): void {
    this.space.unlink(entry);
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
  }
}
