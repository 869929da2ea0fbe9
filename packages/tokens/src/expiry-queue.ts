/**
 * Keys in order of expiry, so that reclaiming expired entries never looks at a live one. Expiry times
 * arrive almost in order (each is "now + a lifetime", and lifetimes are few), so an entry at or after
 * the newest one goes to a FIFO (O(1)); the rare one that arrives out of order goes to a binary min-heap
 * (O(log n)). The earliest entry is the smaller of the two fronts.
 */

/** An ordered queue of `(expiresAtMs, key)` pairs. */
export interface ExpiryQueue {
  /** Entries held, including ones whose key the owner has since dropped or renewed. */
  readonly size: number;
  push(expiresAtMs: number, key: string): void;
  /** The earliest expiry held, or `Infinity` when empty. */
  peek(): number;
  /** Removes the earliest entry and returns its key (`undefined` when empty). */
  shift(): string | undefined;
}

/** Creates an empty {@link ExpiryQueue}. */
export function createExpiryQueue(): ExpiryQueue {
  // FIFO of in-order entries: parallel arrays read from `head`, compacted once half is consumed.
  let fifoAt: number[] = [];
  let fifoKey: string[] = [];
  let head = 0;
  // Min-heap of out-of-order entries, parallel arrays.
  const heapAt: number[] = [];
  const heapKey: string[] = [];

  const siftUp = (from: number): void => {
    let i = from;
    const at = heapAt[i] as number;
    const key = heapKey[i] as string;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentAt = heapAt[parent] as number;
      if (parentAt <= at) break;
      heapAt[i] = parentAt;
      heapKey[i] = heapKey[parent] as string;
      i = parent;
    }
    heapAt[i] = at;
    heapKey[i] = key;
  };

  const siftDown = (): void => {
    const length = heapAt.length;
    let i = 0;
    const at = heapAt[0] as number;
    const key = heapKey[0] as string;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && (heapAt[right] as number) < (heapAt[left] as number) ? right : left;
      if ((heapAt[child] as number) >= at) break;
      heapAt[i] = heapAt[child] as number;
      heapKey[i] = heapKey[child] as string;
      i = child;
    }
    heapAt[i] = at;
    heapKey[i] = key;
  };

  const shiftHeap = (): string => {
    const top = heapKey[0] as string;
    const lastAt = heapAt.pop() as number;
    const lastKey = heapKey.pop() as string;
    if (heapAt.length > 0) {
      heapAt[0] = lastAt;
      heapKey[0] = lastKey;
      siftDown();
    }
    return top;
  };

  const shiftFifo = (): string => {
    const key = fifoKey[head] as string;
    head++;
    if (head === fifoAt.length) {
      fifoAt = [];
      fifoKey = [];
      head = 0;
    } else if (head >= 1024 && head * 2 >= fifoAt.length) {
      fifoAt = fifoAt.slice(head);
      fifoKey = fifoKey.slice(head);
      head = 0;
    }
    return key;
  };

  return {
    get size(): number {
      return fifoAt.length - head + heapAt.length;
    },
    push(expiresAtMs: number, key: string): void {
      if (fifoAt.length === head || expiresAtMs >= (fifoAt[fifoAt.length - 1] as number)) {
        fifoAt.push(expiresAtMs);
        fifoKey.push(key);
      } else {
        heapAt.push(expiresAtMs);
        heapKey.push(key);
        siftUp(heapAt.length - 1);
      }
    },
    peek(): number {
      const fifo = fifoAt.length === head ? Number.POSITIVE_INFINITY : (fifoAt[head] as number);
      const heap = heapAt.length === 0 ? Number.POSITIVE_INFINITY : (heapAt[0] as number);
      return Math.min(fifo, heap);
    },
    shift(): string | undefined {
      const fifoEmpty = fifoAt.length === head;
      if (fifoEmpty && heapAt.length === 0) return undefined;
      if (fifoEmpty) return shiftHeap();
      if (heapAt.length === 0 || (fifoAt[head] as number) <= (heapAt[0] as number)) return shiftFifo();
      return shiftHeap();
    },
  };
}
