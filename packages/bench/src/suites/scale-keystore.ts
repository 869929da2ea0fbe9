/**
 * The keystore part of the `scale` suite (issue 13): per-operation cost at N = 1k and N = 100k sessions
 * (and 1M), full and churning, so that what a full or large table costs is a ratio measured in one run.
 * Figure names: `scale keystore <structure> <operation> (N=<n>)`; each N > 1k figure is beside the
 * N = 1k figure of the same operation (goal ≤ 1.5), with memory per item beside the fill.
 *
 * Memory driver, through the store (what a caller pays), filled to N; the three sizes are held at once
 * and measured interleaved, round by round, so they share one heap, one GC and one JIT state:
 * - get-record hit, hot set: reads of 512 live sessions (inside the record cache at every N)
 * - get-record hit, uniform: reads spread over all N sessions (reported: at 1k every read hits the
 *   record cache of 1,024, at 100k almost none does, so it measures the cache's hit rate)
 * - get-record hit, uniform, recordCache off: every read parses and validates; its growth is judged
 *   beside the growth of a bare `Map.get` + `JSON.parse` of the same texts probed the same way (at
 *   100k, uniform probes miss the CPU caches whatever holds the keys)
 * - put: a put (replace) of a session it holds
 * - refused put (full): a new session while full of live ones — `CAPACITY_EXHAUSTED`, no scan
 * - put (full, churning): a new session while full, where one session has just expired per put
 * - rewrap page of 100: one page at a random cursor position, nothing to move (the scan, the reads and
 *   the key-id checks; was a filter + sort of every key)
 * - bytes per session: heap growth per session filled, with values of a real put's size
 * Redis (standalone, through ioredis): a full rewrap pass per session at N = 1k and 20k, paged 100
 * with 16 in flight, against the same pass one session at a time (the shape before this release).
 */
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createKeyring, createSessionStore, type SessionRecord, sealEnvelope } from '@latchkey/keystore';
import { memoryDriver } from '@latchkey/keystore/memory';
import { redisSessionDriver } from '@latchkey/keystore/redis';
import { startServer } from '@latchkey/testkit';
import { generateSessionKeyPair } from '@latchkey/tokens';
import { Redis } from 'ioredis';
import {
  type BenchContext,
  type Benchmark,
  type Figure,
  median,
  plain,
  rotated,
  versus,
} from '../harness.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SIZES = [1_000, 100_000, 1_000_000] as const;
// A working set that stays inside the store's record cache (1,024 by default) at every N.
const HOT_SESSIONS = 512;
// Figures without a target of their own: the uniform read with the record cache on measures the cache's
// hit rate (every read hits at 1k, almost none at 100k), and the bare floor is the yardstick.
const REPORTED = new Set(['get-record hit, uniform', 'bare Map.get + JSON.parse, uniform']);
// Uniform reads over all N keys miss the CPU caches at 100k whatever holds the keys: their growth is
// judged beside the bare floor's growth, measured the same way in the same run.
const FLOOR_OF: Readonly<Record<string, string>> = {
  'get-record hit, uniform, recordCache off': 'bare Map.get + JSON.parse, uniform',
};
const label = (n: number): string => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1_000}k`);

/** One operation of a case: `count` calls make one timed batch. */
interface TimedOperation {
  readonly run: (i: number) => Promise<unknown>;
  readonly count: number;
}

interface MemoryCase {
  readonly n: number;
  readonly bytesPerItem: number;
  readonly operations: Readonly<Record<string, TimedOperation>>;
}

const DAY_MS = 86_400_000;
const BATCH = 3_000;

/** A memory-driver store filled to `n` (and a second one, full and churning), with its operations. */
async function memoryCase(n: number): Promise<MemoryCase> {
  const { privateJwk } = await generateSessionKeyPair();
  const keyring = createKeyring({ current: 'k1', keys: { k1: randomBytes(32) } });
  const createdAtMs = Date.now();
  const record: SessionRecord = { ...baseRecord(), createdAtMs, expiresAtMs: createdAtMs + 30 * DAY_MS };
  gc();
  const before = process.memoryUsage().heapUsed;
  // Its clock never moves: every session stays live, so the table stays full.
  const driver = memoryDriver({ max: n, monotonicNowMs: () => 0 });
  const store = createSessionStore({ driver, keyring });
  // Filled at the port (1M puts through the store would take most of the minute) with what a put
  // writes: a valid record and a valid envelope (a real seal, its IV bytes made distinct per session),
  // each a distinct text, so the memory figure counts them; ids are generateSessionId()'s 32 characters.
  const ids = Array.from({ length: n }, (_, i) => `s${i.toString(36).padStart(31, '0')}`);
  const sealed = Buffer.from(
    sealEnvelope(keyring, 'x', Buffer.from(JSON.stringify(privateJwk))),
    'base64url',
  );
  const envelopeOf = (i: number): string => {
    sealed.writeUInt32BE(i, 4 + 2); // inside the IV (after version, kid length and the 2-byte kid)
    return sealed.toString('base64url');
  };
  const recordOf = (i: number): string =>
    `{"target":{"namespace":"team-a","name":"agent-1","kind":"AgentRuntime"},"endpoint":"http://10.0.3.17:8080","authMode":"session-token","createdAtMs":${createdAtMs + i},"expiresAtMs":${record.expiresAtMs}}`;
  for (let i = 0; i < n; i++) await driver.write(ids[i] as string, recordOf(i), envelopeOf(i), 3_600);
  gc();
  const bytesPerItem = (process.memoryUsage().heapUsed - before) / n;
  const pick = (i: number): string => ids[(i * 7919) % n] as string;
  const pickHot = (i: number): string => ids[(i * 7919) % HOT_SESSIONS] as string;
  const uncached = createSessionStore({ driver, keyring, recordCache: { max: 0 } });
  // Its own store (so its own record cache) over the same driver: the uniform reads through `store`
  // push the hot records out of that store's cache, which would make the hot set cold again each round.
  const hotStore = createSessionStore({ driver, keyring });
  const texts = new Map<string, string>(ids.map((id, i) => [id, recordOf(i)]));
  // Churning: the table is full, and exactly one session expires per put — every session lives n
  // seconds and this driver's own clock moves one second per put, so the oldest one has just expired.
  let churnClock = 0;
  const churn = memoryDriver({ max: n, monotonicNowMs: () => churnClock });
  const churnStore = createSessionStore({ driver: churn, keyring });
  for (let i = 0; i < n; i++) {
    churnClock = i * 1000;
    await churn.write(ids[i] as string, recordOf(i), envelopeOf(i), n);
  }
  churnClock = n * 1000 - 1000;
  const batch = (run: (i: number) => Promise<unknown>, count = BATCH): TimedOperation => ({ run, count });
  return {
    n,
    bytesPerItem,
    operations: {
      'get-record hit, hot set': batch((i) => hotStore.getRecord(pickHot(i))),
      'get-record hit, uniform': batch((i) => store.getRecord(pick(i))),
      'get-record hit, uniform, recordCache off': batch((i) => uncached.getRecord(pick(i))),
      // The floor of a read that validates what it reads: a bare Map of the same texts, probed the
      // same way, each text JSON-parsed (no schema check, no store).
      'bare Map.get + JSON.parse, uniform': batch(async (i) => JSON.parse(texts.get(pick(i)) as string)),
      put: batch((i) => store.put(pick(i), { record, privateKey: privateJwk, ttlSeconds: 3_600 })),
      'refused put (full)': batch((i) =>
        store.put(`new-${i}`, { record, privateKey: privateJwk, ttlSeconds: 3_600 }).catch(() => undefined),
      ),
      'rewrap page of 100': batch((i) => {
        const position = (i * 7919) % Math.max(1, n - 100);
        return store.rewrap({ cursor: position === 0 ? null : `m${position}`, batch: 100 });
      }, 200),
      'put (full, churning)': batch((i) => {
        churnClock += 1000;
        return churnStore.put(`c-${i}`, { record, privateKey: privateJwk, ttlSeconds: n });
      }),
    },
  };
}

/**
 * µs per call of every operation of every case: all cases are held at once and measured interleaved,
 * round by round (the sizes rotated), so every size runs on the same heap, the same GC pressure and
 * the same JIT state; the median over rounds.
 */
async function measureInterleaved(
  cases: readonly MemoryCase[],
  rounds: number,
): Promise<Array<Record<string, number>>> {
  const samples = cases.map(() => new Map<string, number[]>());
  const next = cases.map(() => new Map<string, number>());
  const timeBatch = async (k: number, name: string, operation: TimedOperation): Promise<number> => {
    let i = next[k]?.get(name) ?? 0;
    const start = performance.now();
    for (let c = 0; c < operation.count; c++) await operation.run(i++);
    next[k]?.set(name, i);
    return ((performance.now() - start) * 1000) / operation.count;
  };
  for (const [k, entry] of cases.entries())
    for (const [name, operation] of Object.entries(entry.operations)) await timeBatch(k, name, operation);
  const indices = cases.map((_, k) => k);
  for (let round = 0; round < rounds; round++) {
    for (const k of rotated(indices, round)) {
      for (const [name, operation] of Object.entries((cases[k] as MemoryCase).operations)) {
        const list = samples[k]?.get(name) ?? [];
        list.push(await timeBatch(k, name, operation));
        samples[k]?.set(name, list);
      }
    }
  }
  return samples.map((byName) => Object.fromEntries([...byName].map(([name, list]) => [name, median(list)])));
}

async function measureMemory(context: BenchContext): Promise<Figure[]> {
  const figures: Figure[] = [];
  const cases: MemoryCase[] = [];
  for (const n of SIZES) cases.push(await memoryCase(n));
  const costs = await measureInterleaved(cases, Math.max(7, context.rounds));
  const base = costs[0] as Record<string, number>;
  for (const [k, entry] of cases.entries()) {
    const at = costs[k] as Record<string, number>;
    const tag = `N=${label(entry.n)}`;
    figures.push(plain(`scale keystore memory bytes per session (${tag})`, entry.bytesPerItem, 'B'));
    for (const [operation, value] of Object.entries(at)) {
      const name = `scale keystore memory ${operation} (${tag})`;
      const baseline = base[operation];
      if (k === 0 || baseline === undefined) {
        figures.push(plain(name, value, 'µs'));
        continue;
      }
      const floor = FLOOR_OF[operation];
      const judged = !REPORTED.has(operation) && floor === undefined;
      figures.push(
        versus(
          name,
          value,
          'µs',
          { name: `scale keystore memory ${operation} (N=1k)`, value: baseline },
          judged ? { target: '<= 1.50' } : {},
        ),
      );
      if (floor !== undefined) {
        const growth = value / baseline;
        const floorGrowth = (at[floor] as number) / (base[floor] as number);
        figures.push(
          plain(
            `scale keystore memory ${operation} growth ÷ floor growth (${tag})`,
            growth / floorGrowth,
            '×',
            {
              target: '<= 1.50',
            },
          ),
        );
      }
    }
  }
  return figures;
}

const baseRecord = (): SessionRecord => ({
  target: { namespace: 'team-a', name: 'agent-1', kind: 'AgentRuntime' },
  endpoint: 'http://10.0.3.17:8080',
  authMode: 'session-token',
  createdAtMs: Date.now(),
  expiresAtMs: Date.now() + 3_600_000,
});

async function measureRedisRewrap(context: BenchContext): Promise<Figure[]> {
  const server = await startServer({ flavor: 'redis' });
  const client = new Redis(server.port, '127.0.0.1');
  try {
    const { privateJwk } = await generateSessionKeyPair();
    const oldKey = randomBytes(32);
    const figures: Figure[] = [];
    let base: { paged: number; sequential: number } | undefined;
    for (const n of [1_000, 20_000]) {
      await client.flushall();
      const driver = redisSessionDriver(client, { prefix: `rw${n}` });
      const old = createSessionStore({
        driver,
        keyring: createKeyring({ current: 'a', keys: { a: oldKey } }),
      });
      const ids = Array.from({ length: n }, (_, i) => `rw-${i}`);
      for (let i = 0; i < n; i += 500)
        await Promise.all(
          ids.slice(i, i + 500).map((id) => old.put(id, { record: baseRecord(), privateKey: privateJwk })),
        );
      // Each pass moves every session to a new key: a → b → c …, alternating the two shapes.
      const pass = async (kid: string, previous: string, concurrency: number): Promise<number> => {
        const keyring = createKeyring({
          current: kid,
          keys: { [kid]: randomBytes(32), [previous]: keys.get(previous) as Uint8Array },
        });
        keys.set(kid, keyring.key(kid) as Uint8Array);
        const store = createSessionStore({ driver, keyring, timeoutMs: 5_000 });
        const start = performance.now();
        let cursor: string | null = null;
        let moved = 0;
        do {
          const page = await store.rewrap({ cursor, batch: 100, concurrency });
          moved += page.rewrapped;
          cursor = page.cursor;
        } while (cursor !== null);
        if (moved < n) throw new Error(`rewrap moved ${moved} of ${n}`);
        return ((performance.now() - start) * 1000) / n;
      };
      const keys = new Map<string, Uint8Array>([['a', oldKey]]);
      const paged: number[] = [];
      const sequential: number[] = [];
      let previous = 'a';
      const passes = Math.max(2, Math.min(context.rounds, n > 5_000 ? 2 : 5));
      for (let round = 0; round < passes; round++) {
        const p = `p${round}`;
        paged.push(await pass(p, previous, 16));
        const s = `q${round}`;
        sequential.push(await pass(s, p, 1));
        previous = s;
      }
      const tag = `N=${label(n)}`;
      const at = { paged: median(paged), sequential: median(sequential) };
      const seqName = `scale keystore redis rewrap one at a time per session (${tag})`;
      figures.push(plain(seqName, at.sequential, 'µs'));
      figures.push(
        versus(`scale keystore redis rewrap per session (${tag})`, at.paged, 'µs', {
          name: seqName,
          value: at.sequential,
        }),
      );
      if (base !== undefined) {
        figures.push(
          versus(
            `scale keystore redis rewrap per session growth (${tag})`,
            at.paged,
            'µs',
            { name: 'scale keystore redis rewrap per session (N=1k)', value: base.paged },
            { target: '<= 1.50' },
          ),
        );
      }
      base ??= at;
    }
    return figures;
  } finally {
    client.disconnect();
    await server.stop();
  }
}

const benchmarks: Benchmark[] = [
  { name: 'scale keystore memory', run: measureMemory },
  { name: 'scale keystore redis rewrap', run: measureRedisRewrap },
];

export default benchmarks;
