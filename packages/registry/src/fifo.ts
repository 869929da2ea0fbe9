/**
 * An insertion-ordered queue of items with amortised O(1) `push` and `front`/`shift`, for tables whose
 * oldest entry must be found when full. A `Map`'s own order would do it in theory, but V8 leaves a
 * hole for every entry deleted from the front until the next rehash, and `map.keys().next()` walks
 * those holes: evicting one entry per insert then costs O(n), exactly when the table is full.
 * Items that are no longer current (`isCurrent` false: deleted or replaced in the owning table) are
 * skipped and dropped as they reach the front; the array is compacted once half of it is consumed.
 *
 * @example
 * ```ts
 * const queue = new FifoQueue<Entry>((entry) => table.get(entry.key) === entry);
 * queue.push(entry);
 * queue.front(); // the oldest current entry
 * ```
 */
export class FifoQueue<T> {
  #items: T[] = [];
  #head = 0;
  readonly #isCurrent: (item: T) => boolean;

  constructor(isCurrent: (item: T) => boolean) {
    this.#isCurrent = isCurrent;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** The oldest current item, or `undefined`. */
  front(): T | undefined {
    const items = this.#items;
    while (this.#head < items.length) {
      const item = items[this.#head] as T;
      if (this.#isCurrent(item)) return item;
      this.#head++;
    }
    this.#compact();
    return undefined;
  }

  /** Drops the front item (call after `front()` returned it and the owner removed it). */
  shift(): void {
    this.#head++;
    this.#compact();
  }

  /**
   * Rebuilds the queue from the owner's current items, in order, when stale ones pile up (e.g. one key
   * replaced over and over): keeps the queue within a constant factor of the table.
   */
  rebuildIfBloated(liveCount: number, current: () => Iterable<T>): void {
    if (this.#items.length - this.#head > 2 * liveCount + 1_024) {
      this.#items = [...current()];
      this.#head = 0;
    }
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }

  #compact(): void {
    if (this.#head > 1_024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
