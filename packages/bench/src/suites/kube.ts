/**
 * @latchkey/kube: a cached TokenReview (every request of a warm caller) beside a plain `Map.get` of
 * the token and the keyed hash alone (the floor of any token-free cache: the key is an HMAC of the
 * whole token); a cold review (cache off) beside a bare HTTPS POST of the same TokenReview to the
 * same testkit API server over its own keep-alive agent.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:https';
import { createCacheKeyer, createKubeApiClient, createTokenReviewer } from '@latchkey/kube';
import { startKubeApiServer } from '@latchkey/testkit';
import { type Benchmark, compareLatency, compareThroughput, plain, versus } from '../harness.js';

let sink = 0;
const AUDIENCES = ['latchkey'];

async function setUp() {
  const kube = await startKubeApiServer();
  kube.createServiceAccount('latchkey', 'router');
  kube.grantReviewer('latchkey', 'router');
  kube.createServiceAccount('team-a', 'runner');
  kube.createPod('team-a', 'runner-pod', 'runner');
  const reviewerToken = kube.issueToken({ namespace: 'latchkey', serviceAccount: 'router' });
  // Realistic projected tokens: RS256, pod-bound, about 1 KiB each.
  const tokens = Array.from({ length: 16 }, () =>
    kube.issueToken({
      namespace: 'team-a',
      serviceAccount: 'runner',
      pod: 'runner-pod',
      audiences: AUDIENCES,
    }),
  );
  return { kube, reviewerToken, tokens };
}

const benchmarks: Benchmark[] = [
  {
    name: 'kube cached review',
    async run(context) {
      const { kube, reviewerToken, tokens } = await setUp();
      const client = createKubeApiClient({ apiServer: kube.url, ca: kube.caPem });
      try {
        const reviewer = createTokenReviewer({
          client,
          credential: () => reviewerToken,
          audiences: AUDIENCES,
          positiveTtlMs: 3_600_000,
        });
        for (const token of tokens) await reviewer.review(token);
        const map = new Map(tokens.map((token, k) => [token, k]));
        const keyOf = createCacheKeyer();
        const hmacKey = randomBytes(32);
        let i = 0;
        const rates = await compareThroughput(
          {
            mapGet: () => {
              sink += map.get(tokens[i++ & 15] as string) ?? 0;
            },
            createHmac: () => {
              sink += createHmac('sha256', hmacKey)
                .update(tokens[i++ & 15] as string)
                .digest().length;
            },
            keyer: () => {
              sink += keyOf(`${tokens[i++ & 15] as string}\u0000latchkey`).length;
            },
            cached: async () => {
              sink += (await reviewer.review(tokens[i++ & 15] as string)).uid.length;
            },
          },
          context,
        );
        if (kube.counts().tokenReviews !== tokens.length)
          throw new Error('a cached review reached the server');
        const mapBaseline = { name: 'Map.get(token) (token-keyed, not allowed)', value: rates.mapGet };
        const hmacBaseline = { name: 'keyed hash alone (HMAC-SHA256, 1 KiB token)', value: rates.keyer };
        return [
          plain(mapBaseline.name, rates.mapGet, 'ops/s'),
          versus('createHmac per call (node:crypto)', rates.createHmac, 'ops/s', hmacBaseline),
          plain(hmacBaseline.name, rates.keyer, 'ops/s'),
          versus('cached review (await review(token))', rates.cached, 'ops/s', hmacBaseline, {
            target: '>= 2M/s',
          }),
          versus('cached review vs Map.get', rates.cached, 'ops/s', mapBaseline),
          plain(`token length (chars)`, tokens[0]?.length ?? 0, 'chars'),
        ];
      } finally {
        client.close();
        await kube.close();
      }
    },
  },
  {
    name: 'kube cold review',
    async run(context) {
      const { kube, reviewerToken, tokens } = await setUp();
      const client = createKubeApiClient({ apiServer: kube.url, ca: kube.caPem });
      const agent = new Agent({ keepAlive: true, ca: kube.caPem, maxSockets: 64, scheduling: 'lifo' });
      try {
        // positiveTtlMs 0: nothing is cached, every review is a POST to the API server.
        const reviewer = createTokenReviewer({
          client,
          credential: () => reviewerToken,
          audiences: AUDIENCES,
          positiveTtlMs: 0,
        });
        const token = tokens[0] as string;
        const payload = Buffer.from(
          JSON.stringify({
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            spec: { token, audiences: AUDIENCES },
          }),
        );
        const barePost = (parse: boolean): Promise<void> =>
          new Promise((resolve, reject) => {
            const req = request(
              {
                agent,
                host: '127.0.0.1',
                port: kube.port,
                method: 'POST',
                path: '/apis/authentication.k8s.io/v1/tokenreviews',
                headers: {
                  accept: 'application/json',
                  authorization: `Bearer ${reviewerToken}`,
                  'content-type': 'application/json',
                  'content-length': payload.length,
                },
              },
              (res) => {
                const chunks: Buffer[] = [];
                res.on('data', (chunk: Buffer) => chunks.push(chunk));
                res.on('end', () => {
                  const answer = Buffer.concat(chunks);
                  sink += parse
                    ? (JSON.parse(answer.toString()) as { kind: string }).kind.length
                    : answer.length;
                  resolve();
                });
              },
            );
            req.on('error', reject);
            req.end(payload);
          });
        const latency = await compareLatency(
          {
            bare: () => barePost(false),
            bareParsed: () => barePost(true),
            review: async () => {
              sink += (await reviewer.review(token)).uid.length;
            },
          },
          context,
          { samplesPerRound: 200, warmup: 100 },
        );
        if (sink === 0) throw new Error('benchmark produced no results');
        const baseline = { name: 'bare HTTPS POST TokenReview (p50)', value: latency.bare.p50 };
        return [
          plain(baseline.name, latency.bare.p50, 'µs', { p99: latency.bare.p99 }),
          versus('bare POST + JSON.parse of the answer (p50)', latency.bareParsed.p50, 'µs', baseline, {
            p99: latency.bareParsed.p99,
          }),
          versus('cold review (p50)', latency.review.p50, 'µs', baseline, {
            p99: latency.review.p99,
            target: '<= 1.10',
          }),
        ];
      } finally {
        agent.destroy();
        client.close();
        await kube.close();
      }
    },
  },
];

export default benchmarks;
