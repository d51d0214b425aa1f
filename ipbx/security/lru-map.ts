// A Map with a size bound that forgets the least recently used key first. The guards key their
// state by source address and account name, both chosen by whoever sends the packets, so every
// table they keep must stay bounded however many addresses or names an attacker uses.

export class LruMap<K, V> {
  readonly #map = new Map<K, V>();
  readonly #max: number;
  // The most recently touched key: a flood from one address skips the delete/set reordering.
  #last: K | undefined;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#map.size;
  }

  /** The value, marked as most recently used. */
  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined && key !== this.#last) {
      this.#map.delete(key);
      this.#map.set(key, value);
      this.#last = key;
    }
    return value;
  }

  /** The value, leaving the order alone. */
  peek(key: K): V | undefined {
    return this.#map.get(key);
  }

  /** Sets as most recently used, forgetting the least recently used key when over the bound. */
  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    this.#last = key;
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
  }

  delete(key: K): boolean {
    if (key === this.#last) this.#last = undefined;
    return this.#map.delete(key);
  }

  /** Oldest first. */
  entries(): IterableIterator<[K, V]> {
    return this.#map.entries();
  }
}
