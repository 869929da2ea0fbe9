/**
 * The keystore part of the `scale` suite (issue 13): per-operation cost at N = 1k and N = 100k sessions
 * (and 1M), full and churning, so that what a full or large table costs is a ratio measured in one run.
 * Figure names: `scale keystore <structure> <operation> (N=<n>)`; each N > 1k figure is beside the
 * N = 1k figure of the same operation (goal ≤ 1.5), with memory per item beside the fill.
 *
 * Memory driver, through the store (what a caller pays), filled to N:
 * - get-record hit: a read of a live session
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
import { type BenchContext, type Benchmark, type Figure, median, plain, versus } from '../harness.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SIZES = [1_000, 100_000, 1_000_000] as const;
const label = (n: number): string => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1_000}k`);

/** Median µs per call of `op` over `rounds` runs of `count` calls each (awaited one at a time). */
async function cost(op: (i: number) => Promise<unknown>, count: number, rounds: number): Promise<number> {
  const samples: number[] = [];
  let i = 0;
  for (let warm = 0; warm < Math.min(count, 2_000); warm++) await op(i++);
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    for (let k = 0; k < count; k++) await op(i++);
    samples.push(((performance.now() - start) * 1000) / count);
  }
  return median(samples);
}

interface MemoryCosts {
  readonly bytesPerItem: number;
  readonly costs: Readonly<Record<string, number>>;
}

const DAY_MS = 86_400_000;

async function memoryAt(n: number, context: BenchContext): Promise<MemoryCosts> {
  const rounds = Math.max(3, context.rounds);
  const count = 3_000;
  const { privateJwk } = await generateSessionKeyPair();
  const keyring = createKeyring({ current: 'k1', keys: { k1: randomBytes(32) } });
  const createdAtMs = Date.now();
  const record: SessionRecord = { ...baseRecord(), createdAtMs, expiresAtMs: createdAtMs + 30 * DAY_MS };
  let clock = 0;
  gc();
  const before = process.memoryUsage().heapUsed;
  const driver = memoryDriver({ max: n, monotonicNowMs: () => clock });
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
  const costs: Record<string, number> = {};
  costs['get-record hit'] = await cost((i) => store.getRecord(pick(i)), count, rounds);
  costs.put = await cost(
    (i) => store.put(pick(i), { record, privateKey: privateJwk, ttlSeconds: 3_600 }),
    count,
    rounds,
  );
  costs['refused put (full)'] = await cost(
    (i) =>
      store.put(`new-${i}`, { record, privateKey: privateJwk, ttlSeconds: 3_600 }).catch(() => undefined),
    count,
    rounds,
  );
  costs['rewrap page of 100'] = await cost(
    (i) => {
      const position = (i * 7919) % Math.max(1, n - 100);
      return store.rewrap({ cursor: position === 0 ? null : `m${position}`, batch: 100 });
    },
    200,
    rounds,
  );
  // Churning: the table is full, and exactly one session expires per put — every session lives n
  // seconds and the clock moves one second per put, so the oldest one has just expired each time.
  const churn = memoryDriver({ max: n, monotonicNowMs: () => clock });
  const churnStore = createSessionStore({ driver: churn, keyring });
  for (let i = 0; i < n; i++) {
    clock = i * 1000;
    await churn.write(ids[i] as string, recordOf(i), envelopeOf(i), n);
  }
  clock = n * 1000 - 1000;
  costs['put (full, churning)'] = await cost(
    (i) => {
      clock += 1000;
      return churnStore.put(`c-${i}`, { record, privateKey: privateJwk, ttlSeconds: n });
    },
    count,
    rounds,
  );
  return { bytesPerItem, costs };
}

async function measureMemory(context: BenchContext): Promise<Figure[]> {
  const figures: Figure[] = [];
  let base: MemoryCosts | undefined;
  for (const n of SIZES) {
    const at = await memoryAt(n, context);
    const tag = `N=${label(n)}`;
    figures.push(plain(`scale keystore memory bytes per session (${tag})`, at.bytesPerItem, 'B'));
    for (const [operation, value] of Object.entries(at.costs)) {
      const name = `scale keystore memory ${operation} (${tag})`;
      const baseline = base?.costs[operation];
      if (base === undefined || baseline === undefined) figures.push(plain(name, value, 'µs'));
      else
        figures.push(
          versus(
            name,
            value,
            'µs',
            { name: `scale keystore memory ${operation} (N=1k)`, value: baseline },
            { target: '<= 1.50' },
          ),
        );
    }
    base ??= at;
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
