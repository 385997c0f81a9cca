/**
 * A Map of at most `max` entries, for state that must stay in memory but must not grow without bound
 * (login failures per source, prepared statements): past `max`, the entry set longest ago goes. Not a
 * cache: it takes nothing from the cache space (`--cache-mb`), so cache pressure never drops its entries.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly max: number) {
    super();
  }

  /** Sets `key` as the newest entry (also when it was there already). */
  override set(key: K, value: V): this {
    this.delete(key);
    super.set(key, value);
    if (this.size > this.max) this.delete(this.keys().next().value!);
    return this;
  }
}
