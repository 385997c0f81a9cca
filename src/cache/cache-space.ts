interface Entry {
  cache: Cache<unknown, unknown>;
  key: string;
  rev: unknown;
  /** Until when (ms, of the cache's clock) the entry holds; Infinity for entries that only a new rev ends. */
  until: number;
  value: unknown;
  bytes: number;
  prev: Entry | undefined;
  next: Entry | undefined;
}

/**
 * The memory every cache of the process shares, bounded in bytes (`--cache-mb`): images, member lists,
 * list pages, finished jobs, compiled list queries, verified tokens, passwords and AK/SK lookups, and the
 * bodies rendered from what they hold. The entry stored longest ago goes first, whichever cache holds it.
 * Owned by the composition root; a budget of 0 keeps nothing, and every answer is the same as with one.
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

  /**
   * A cache of values kept under a key and the version (`rev`) of the rows they were built from; values
   * built from no rows (parsed requests, compiled queries) are kept under one constant rev (0). `now` is
   * the clock of the entries that are set with an expiry.
   */
  cache<V, Rev = number>(name: string, now: () => number = Date.now): Cache<V, Rev> {
    if (this.caches.has(name)) throw new Error(`a cache named ${name} exists already`);
    const cache = new Cache<V, Rev>(this, name, now);
    this.caches.set(name, cache as Cache<unknown, unknown>);
    return cache;
  }

  /**
   * `render`, remembering what it made for each frozen value (what the caches share: a frozen value never
   * changes) for as long as the value lives; its bytes are counted in the entry that holds the value.
   * A budget of 0 remembers nothing.
   */
  rendered<T extends object, R>(render: (value: T) => R): (value: T) => R {
    if (this.maxBytes === 0) return render;
    const kept = new WeakMap<T, R>();
    return (value) => {
      const hit = kept.get(value);
      if (hit !== undefined) return hit;
      const out = render(value);
      if (Object.isFrozen(value)) kept.set(value, out);
      return out;
    };
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
 * read, and, for an entry set with an expiry, until then. Part of a CacheSpace, which decides what goes
 * when memory runs short.
 */
export class Cache<V, Rev = number> {
  private readonly entries = new Map<string, Entry>();
  private hits = 0;
  private misses = 0;

  constructor(private readonly space: CacheSpace, readonly name: string, private readonly now: () => number) {}

  get(key: string, rev: Rev): V | undefined {
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.rev === rev) {
      if (entry.until === Infinity || entry.until > this.now()) {
        this.hits++;
        return entry.value as V;
      }
      this.drop(entry);
    }
    this.misses++;
    return undefined;
  }

  /**
   * Keeps `value` (of about `bytes` bytes) until `until` (ms, of the cache's clock), unless it alone exceeds
   * the budget; returns it either way.
   */
  set(key: string, rev: Rev, value: V, bytes: number, until = Infinity): V {
    this.delete(key);
    const entry: Entry = {
      cache: this as Cache<unknown, unknown>, key, rev, until, value, bytes, prev: undefined, next: undefined,
    };
    if (this.space.add(entry)) this.entries.set(key, entry);
    return value;
  }

  /** Drops the entry under `key`; only while it holds `value`, when one is given. */
  delete(key: string, value?: V): void {
    const entry = this.entries.get(key);
    if (entry !== undefined && (value === undefined || entry.value === value)) this.drop(entry);
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
