/**
 * The session store against the plain client it runs on, measured in the same run, on Redis 7 and
 * Valkey 8, standalone and as a 3-master cluster (servers started here by @latchkey/testkit and stopped
 * after). Redis runs through ioredis, Valkey through iovalkey; each baseline uses the same client.
 *
 * Figure names: `keystore <operation> <measure> (<backend>)`, backend one of `redis`, `valkey`,
 * `redis cluster`, `valkey cluster`; measures are `p50` (µs, p99 beside it), `c64` (ops/s with 64 in
 * flight) and `hit` (ops/s from the key cache).
 * - get-record p50 / c64: GET + parse + schema check, vs a plain GET of the same bytes (c64 with an A/A
 *   control: the plain GET measured again, the noise floor of that figure)
 * - get-private-key miss p50: GET + envelope decrypt + JWK import, vs a plain GET + raw AES-256-GCM
 *   decrypt + raw JWK import of the same key
 * - get-private-key hit: the read-through key cache, vs an async Map lookup
 * - put p50: the form a caller uses — the private JWK `generateSessionKeyPair()` returns beside the
 *   KeyObject (what the router stores): record validation + JWK check + encrypt + MULTI/EXEC, vs a plain
 *   MULTI/EXEC of the same two SETs (the same record text and an envelope of the same size)
 * - put p50 is also shown beside a plain EVALSHA of a script doing the same two SETs — the form a put
 *   takes on the wire since 0.1.0 (one command and one reply instead of MULTI, SET, SET, EXEC)
 * - put (KeyObject) p50: the same with the private `KeyObject` (exported to a JWK on every put)
 * - delete p50: one UNLINK of both keys (absent, so every iteration does the same work), vs a plain UNLINK
 */
import { createDecipheriv, createPrivateKey, randomBytes } from 'node:crypto';
import { createKeyring, createSessionStore, type SessionRecord } from '@latchkey/keystore';
import { redisSessionDriver } from '@latchkey/keystore/redis';
import { type ServerFlavor, startCluster, startServer } from '@latchkey/testkit';
import { generateSessionKeyPair } from '@latchkey/tokens';
import { Cluster, Redis } from 'ioredis';
import { Redis as Valkey, Cluster as ValkeyCluster } from 'iovalkey';
import {
  type BenchContext,
  type Benchmark,
  compareLatency,
  compareThroughput,
  type Figure,
  plain,
  versus,
} from '../harness.js';

let sink = 0;

type Client = Redis | Cluster | Valkey | ValkeyCluster;

interface Backend {
  readonly label: string;
  readonly library: 'ioredis' | 'iovalkey';
  start(): Promise<{ client: Client; stop(): Promise<void> }>;
}

function standalone(flavor: ServerFlavor): Backend {
  const library = flavor === 'redis' ? 'ioredis' : 'iovalkey';
  return {
    label: flavor,
    library,
    async start() {
      const server = await startServer({ flavor });
      const client =
        library === 'ioredis' ? new Redis(server.port, '127.0.0.1') : new Valkey(server.port, '127.0.0.1');
      await client.ping();
      return {
        client,
        async stop() {
          await client.quit();
          await server.stop();
        },
      };
    },
  };
}

function clustered(flavor: ServerFlavor): Backend {
  const library = flavor === 'redis' ? 'ioredis' : 'iovalkey';
  return {
    label: `${flavor} cluster`,
    library,
    async start() {
      const cluster = await startCluster({ flavor, masters: 3 });
      const client =
        library === 'ioredis'
          ? new Cluster([...cluster.startupNodes])
          : new ValkeyCluster([...cluster.startupNodes]);
      await client.get('warm-up');
      return {
        client,
        async stop() {
          await client.quit();
          await cluster.stop();
        },
      };
    },
  };
}

const record: SessionRecord = {
  target: { namespace: 'team-a', name: 'agent-1', kind: 'AgentRuntime' },
  endpoint: 'http://10.0.3.17:8080',
  authMode: 'session-token',
  createdAtMs: Date.now(),
  expiresAtMs: Date.now() + 24 * 3_600_000,
};

/** The documented wire names of a session's two keys (README "Wire format"). */
function sessionKeyNames(prefix: string, sessionId: string): { record: string; key: string } {
  return { record: `${prefix}:{${sessionId}}:rec`, key: `${prefix}:{${sessionId}}:key` };
}

async function measure(backend: Backend, context: BenchContext): Promise<Figure[]> {
  const { client, stop } = await backend.start();
  try {
    const tag = backend.label;
    const lib = backend.library;
    const kek = randomBytes(32);
    const keyring = createKeyring({ current: 'k1', keys: { k1: kek } });
    const prefix = 'bench';
    const driver = redisSessionDriver(client, { prefix });
    const store = createSessionStore({ driver, keyring, timeoutMs: 5_000 });
    const cached = createSessionStore({
      driver,
      keyring,
      timeoutMs: 5_000,
      keyCache: { max: 1_000, ttlMs: 60_000 },
    });
    const { privateKey, privateJwk } = await generateSessionKeyPair();
    const sessionId = 'bench-session-0001';
    const names = sessionKeyNames(prefix, sessionId);
    await store.put(sessionId, { record, privateKey: privateJwk, ttlSeconds: 3_600 });
    const recordText = (await client.get(names.record)) ?? '';
    const sealedText = (await client.get(names.key)) ?? '';

    // The raw baseline for a key read: the same JWK, AES-256-GCM under the same key, stored packed as
    // base64 (IV ‖ ciphertext ‖ tag) beside it.
    const rawName = `raw:{${sessionId}}:key`;
    const iv = randomBytes(12);
    const { createCipheriv } = await import('node:crypto');
    const cipher = createCipheriv('aes-256-gcm', kek, iv, { authTagLength: 16 });
    const jwkBytes = Buffer.from(JSON.stringify(privateKey.export({ format: 'jwk' })));
    const packed = Buffer.concat([iv, cipher.update(jwkBytes), cipher.final(), cipher.getAuthTag()]);
    await client.set(rawName, packed.toString('base64'), 'EX', 3_600);
    const rawKeyRead = async (): Promise<void> => {
      const text = await client.get(rawName);
      const bytes = Buffer.from(text ?? '', 'base64');
      const decipher = createDecipheriv('aes-256-gcm', kek, bytes.subarray(0, 12), { authTagLength: 16 });
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      const plainJwk = Buffer.concat([
        decipher.update(bytes.subarray(12, bytes.length - 16)),
        decipher.final(),
      ]);
      const key = createPrivateKey({ key: JSON.parse(plainJwk.toString()), format: 'jwk' });
      sink += key.type.length;
    };

    const putNames = sessionKeyNames(prefix, 'bench-put');
    // The same two SETs as one script, the form put now takes (loaded once, then EVALSHA).
    const writeScript = `redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return 1`;
    const writeSha = String(await client.eval(`return redis.sha1hex(ARGV[1])`, 0, writeScript));
    await client.eval(writeScript, 2, `${prefix}:{warm}:rec`, `${prefix}:{warm}:key`, 'a', 'b', 60);
    if (client.isCluster) {
      for (const node of (client as Cluster).nodes('master')) await node.script('LOAD', writeScript);
    }
    const deleteNames = sessionKeyNames(prefix, 'bench-absent');
    const figures: Figure[] = [];
    // A round trip shares the 2 cores with the server, so single rounds swing by ±15 %: more, shorter
    // interleaved rounds give a median that holds still between runs.
    const steady: BenchContext = {
      rounds: Math.max(9, context.rounds),
      roundMs: Math.min(300, context.roundMs),
    };

    // Latency, one operation at a time.
    const latency = await compareLatency(
      {
        getRecord: async () => {
          sink += (await store.getRecord(sessionId))?.createdAtMs ?? 0;
        },
        plainGet: async () => {
          sink += (await client.get(names.record))?.length ?? 0;
        },
        getKey: async () => {
          sink += (await store.getPrivateKey(sessionId))?.type.length ?? 0;
        },
        rawKey: rawKeyRead,
        put: () => store.put('bench-put', { record, privateKey: privateJwk, ttlSeconds: 3_600 }),
        putKeyObject: () => store.put('bench-put', { record, privateKey, ttlSeconds: 3_600 }),
        plainMulti: () =>
          client
            .multi([
              ['set', putNames.record, recordText, 'EX', 3_600],
              ['set', putNames.key, sealedText, 'EX', 3_600],
            ])
            .exec(),
        plainScript: () =>
          client.evalsha(writeSha, 2, putNames.record, putNames.key, recordText, sealedText, 3_600),
        delete: () => store.delete('bench-absent'),
        plainUnlink: () => client.unlink(deleteNames.record, deleteNames.key),
      },
      steady,
      { samplesPerRound: 1_000, warmup: 300 },
    );
    const pair = (
      name: string,
      base: string,
      value: { p50: number; p99: number },
      baseline: { p50: number; p99: number },
      target: string,
    ): Figure[] => [
      plain(`${base} p50 (${tag})`, baseline.p50, 'µs', { p99: baseline.p99 }),
      versus(
        `keystore ${name} p50 (${tag})`,
        value.p50,
        'µs',
        { name: `${base} p50 (${tag})`, value: baseline.p50 },
        { p99: value.p99, target },
      ),
    ];
    figures.push(
      ...pair('get-record', `${lib} GET`, latency.getRecord, latency.plainGet, '<= 1.10'),
      ...pair(
        'get-private-key miss',
        `${lib} GET + raw decrypt + import`,
        latency.getKey,
        latency.rawKey,
        '<= 1.10',
      ),
      ...pair('put', `${lib} MULTI/EXEC 2×SET`, latency.put, latency.plainMulti, '<= 1.15'),
      plain(`${lib} EVALSHA 2×SET p50 (${tag})`, latency.plainScript.p50, 'µs', {
        p99: latency.plainScript.p99,
      }),
      versus(
        `keystore put vs EVALSHA p50 (${tag})`,
        latency.put.p50,
        'µs',
        { name: `${lib} EVALSHA 2×SET p50 (${tag})`, value: latency.plainScript.p50 },
        { p99: latency.put.p99 },
      ),
      versus(
        `keystore put (KeyObject) p50 (${tag})`,
        latency.putKeyObject.p50,
        'µs',
        { name: `${lib} MULTI/EXEC 2×SET p50 (${tag})`, value: latency.plainMulti.p50 },
        { p99: latency.putKeyObject.p99 },
      ),
      ...pair('delete', `${lib} UNLINK`, latency.delete, latency.plainUnlink, '<= 1.10'),
    );

    // Throughput with 64 in flight on the one client.
    const c64 = await compareThroughput(
      {
        getRecord: async () => {
          sink += (await store.getRecord(sessionId))?.createdAtMs ?? 0;
        },
        plainGet: async () => {
          sink += (await client.get(names.record))?.length ?? 0;
        },
        // The same plain GET again: how far two equal cases drift apart with the server on the same cores.
        plainGetAgain: async () => {
          sink += (await client.get(names.record))?.length ?? 0;
        },
      },
      steady,
      { inFlight: 64 },
    );
    const c64Base = { name: `${lib} GET c64 (${tag})`, value: c64.plainGet };
    figures.push(
      plain(c64Base.name, c64.plainGet, 'ops/s'),
      versus(`${lib} GET c64 again (A/A control) (${tag})`, c64.plainGetAgain, 'ops/s', c64Base),
      versus(`keystore get-record c64 (${tag})`, c64.getRecord, 'ops/s', c64Base, { target: '>= 0.85' }),
    );

    // Key cache hits: no store call at all.
    await cached.getPrivateKey(sessionId);
    const map = new Map([[sessionId, privateKey]]);
    const hit = await compareThroughput(
      {
        cache: async () => {
          sink += (await cached.getPrivateKey(sessionId))?.type.length ?? 0;
        },
        map: async () => {
          sink += map.get(sessionId)?.type.length ?? 0;
        },
      },
      context,
    );
    const hitBase = { name: `async Map.get (${tag})`, value: hit.map };
    figures.push(
      plain(hitBase.name, hit.map, 'ops/s'),
      versus(`keystore get-private-key hit (${tag})`, hit.cache, 'ops/s', hitBase, { target: '>= 1M/s' }),
    );
    return figures;
  } finally {
    await stop();
  }
}

const backends: readonly Backend[] = [
  standalone('redis'),
  standalone('valkey'),
  clustered('redis'),
  clustered('valkey'),
];

const benchmarks: Benchmark[] = backends.map((backend) => ({
  name: `keystore ${backend.label}`,
  run: async (context) => {
    const figures = await measure(backend, context);
    if (sink === Number.MIN_VALUE) process.stderr.write('unreachable\n');
    return figures;
  },
}));

export default benchmarks;
