/**
 * A binary min-heap of `(at, item)` pairs, for expiry kept in order: the soonest deadline is at the top
 * in O(1), a push or pop is O(log n). Removal is lazy — the owner decides on pop whether a pair is still
 * current — so replacing a deadline is one push, and reclaiming expired items never visits live ones.
 *
 * @example
 * ```ts
 * const heap = new ExpiryHeap<string>();
 * heap.push(1_000, 'a');
 * heap.peekAt(); // 1000
 * ```
 */
export class ExpiryHeap<T> {
  #at: number[] = [];
  #items: T[] = [];

  /** Pairs held, current and stale. */
  get size(): number {
    return this.#at.length;
  }

  /** The soonest deadline, or `Infinity` when empty. */
  peekAt(): number {
    return this.#at.length === 0 ? Number.POSITIVE_INFINITY : (this.#at[0] as number);
  }

  /** The item of the soonest deadline (check {@link peekAt} first). */
  peekItem(): T | undefined {
    return this.#items[0];
  }

  push(at: number, item: T): void {
    const ats = this.#at;
    const items = this.#items;
    let index = ats.length;
    ats.push(at);
    items.push(item);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const parentAt = ats[parent] as number;
      if (parentAt <= at) break;
      ats[index] = parentAt;
      items[index] = items[parent] as T;
      index = parent;
    }
    ats[index] = at;
    items[index] = item;
  }

  /** Removes the soonest pair. */
  pop(): void {
    const lastAt = this.#at.pop();
    const lastItem = this.#items.pop() as T;
    if (this.#at.length === 0 || lastAt === undefined) return;
    this.#at[0] = lastAt;
    this.#items[0] = lastItem;
    this.#siftDown(0);
  }

  /** Rebuilds the heap from `pairs` in O(n) (used to drop stale pairs). */
  rebuild(pairs: Iterable<readonly [at: number, item: T]>): void {
    this.#at = [];
    this.#items = [];
    for (const [at, item] of pairs) {
      this.#at.push(at);
      this.#items.push(item);
    }
    for (let index = (this.#at.length >> 1) - 1; index >= 0; index--) this.#siftDown(index);
  }

  #siftDown(start: number): void {
    const ats = this.#at;
    const items = this.#items;
    const length = ats.length;
    const at = ats[start] as number;
    const item = items[start] as T;
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && (ats[right] as number) < (ats[left] as number) ? right : left;
      const childAt = ats[child] as number;
      if (childAt >= at) break;
      ats[index] = childAt;
      items[index] = items[child] as T;
      index = child;
    }
    ats[index] = at;
    items[index] = item;
  }
}
