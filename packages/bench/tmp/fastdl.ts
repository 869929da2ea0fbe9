import { StoreUnavailableError, toStoreError } from '@latchkey/errors';
interface Node { at: number; prev: Node | null; next: Node | null; resolve: (v: any) => void; reject: (e: unknown) => void; }
export function createFastDeadlines(timeoutMs: number) {
  let first: Node | null = null;
  let last: Node | null = null;
  const unlink = (n: Node) => {
    if (n.prev === null) first = n.next; else n.prev.next = n.next;
    if (n.next === null) last = n.prev; else n.next.prev = n.prev;
  };
  const tick = Math.max(1, Math.min(20, Math.floor(timeoutMs / 10)));
  let timer: NodeJS.Timeout | undefined;
  const sweep = () => {
    const now = performance.now();
    while (first !== null && first.at <= now) {
      const n = first;
      unlink(n);
      n.at = -1;
      n.reject(new StoreUnavailableError('timeout'));
    }
    if (first === null) { clearInterval(timer); timer = undefined; }
  };
  return {
    run<T>(call: () => Promise<T>): Promise<T> {
      let started: Promise<T>;
      try { started = call(); } catch (error) { return Promise.reject(toStoreError(error)); }
      let node!: Node;
      const promise = new Promise<T>((resolve, reject) => {
        node = { at: performance.now() + timeoutMs, prev: last, next: null, resolve, reject };
      });
      if (last === null) first = node; else last.next = node;
      last = node;
      if (timer === undefined) timer = setInterval(sweep, tick);
      started.then(
        (value) => { if (node.at !== -1) { unlink(node); node.at = -1; node.resolve(value); } },
        (error) => { if (node.at !== -1) { unlink(node); node.at = -1; node.reject(toStoreError(error)); } },
      );
      return promise;
    },
  };
}
