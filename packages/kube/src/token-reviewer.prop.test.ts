import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import type { KubeApiClient, KubeResponse } from './api-client.js';
import { createTokenReviewer } from './token-reviewer.js';

// The cache's timing is this package's own decision, so a stub port answering golden bodies is enough
// here; what the API server decides is tested against the testkit server in test/integration.
const VECTORS = new URL('../../../test-vectors/kube/', import.meta.url);
const AUTHENTICATED = readFileSync(new URL('tokenreview-response-authenticated.json', VECTORS));
const UNAUTHENTICATED = readFileSync(new URL('tokenreview-response-unauthenticated.json', VECTORS));
const START_MS = 1_800_000_000_000;

function stubClient(answer: () => KubeResponse | Error): { client: KubeApiClient; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    client: {
      apiServer: new URL('https://127.0.0.1:1'),
      async request() {
        calls++;
        const result = answer();
        if (result instanceof Error) throw result;
        return result;
      },
      close() {},
    },
  };
}

const tokenWithExp = (expSeconds: number): string =>
  `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ exp: expSeconds })).toString('base64url')}.c2ln`;

test.prop([
  fc.integer({ min: 1, max: 20_000 }),
  fc.integer({ min: 1, max: 30 }),
  fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 40 }),
])(
  'a positive review is reused exactly until min(review + positiveTtlMs, exp), never sliding',
  async (positiveTtlMs, expInSeconds, advances) => {
    let nowMs = START_MS;
    const { client, calls } = stubClient(() => ({ status: 201, headers: {}, body: AUTHENTICATED }));
    const reviewer = createTokenReviewer({
      client,
      credential: () => 'own',
      audiences: ['latchkey'],
      positiveTtlMs,
      now: () => nowMs,
    });
    const expMs = START_MS + expInSeconds * 1000;
    const token = tokenWithExp(expMs / 1000);
    let reviewedAtMs: number | undefined;
    let expected = 0;
    for (const advance of advances) {
      nowMs += advance;
      if (nowMs >= expMs) {
        await expect(reviewer.review(token)).rejects.toMatchObject({ reason: 'expired' });
        continue;
      }
      if (reviewedAtMs === undefined || nowMs >= Math.min(reviewedAtMs + positiveTtlMs, expMs)) {
        expected++;
        reviewedAtMs = nowMs;
      }
      await reviewer.review(token);
      expect(calls()).toBe(expected);
    }
  },
);

test.prop([
  fc.integer({ min: 1, max: 5_000 }),
  fc.array(fc.integer({ min: 0, max: 1_500 }), { minLength: 1, maxLength: 40 }),
])('a refusal is reused exactly for negativeTtlMs', async (negativeTtlMs, advances) => {
  let nowMs = START_MS;
  const { client, calls } = stubClient(() => ({ status: 201, headers: {}, body: UNAUTHENTICATED }));
  const reviewer = createTokenReviewer({
    client,
    credential: () => 'own',
    audiences: ['latchkey'],
    negativeTtlMs,
    now: () => nowMs,
  });
  const token = tokenWithExp(START_MS / 1000 + 3_600);
  let reviewedAtMs: number | undefined;
  let expected = 0;
  for (const advance of advances) {
    nowMs += advance;
    if (reviewedAtMs === undefined || nowMs >= reviewedAtMs + negativeTtlMs) {
      expected++;
      reviewedAtMs = nowMs;
    }
    await expect(reviewer.review(token)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'invalid',
    });
    expect(calls()).toBe(expected);
  }
});

test.prop([fc.array(fc.constantFrom(500, 429, 401, 0), { minLength: 1, maxLength: 20 })])(
  'an error is never cached: every review after one asks again',
  async (failures) => {
    let i = 0;
    const { client, calls } = stubClient(() => {
      const status = failures[i++ % failures.length] as number;
      return status === 0 ? new Error('network') : { status, headers: {}, body: Buffer.from('{}') };
    });
    const reviewer = createTokenReviewer({ client, credential: () => 'own', audiences: ['latchkey'] });
    const token = tokenWithExp(Date.now() / 1000 + 3_600);
    for (let n = 1; n <= failures.length; n++) {
      await expect(reviewer.review(token)).rejects.toBeDefined();
      expect(calls()).toBe(n);
    }
  },
);

test.prop([fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 5 })])(
  'the cache key covers the audience set, not its order',
  async (audiences) => {
    const { client } = stubClient(() => ({ status: 201, headers: {}, body: AUTHENTICATED }));
    const { createCacheKeyer } = await import('./cache-key.js');
    const keyer = createCacheKeyer();
    const all = [...audiences, 'latchkey'];
    const token = tokenWithExp(Date.now() / 1000 + 3_600);
    const forward = await createTokenReviewer({
      client,
      credential: () => 'own',
      audiences: all,
      keyer,
    }).review(token);
    const backward = await createTokenReviewer({
      client,
      credential: () => 'own',
      audiences: [...all].reverse(),
      keyer,
    }).review(token);
    expect(forward.tokenKey).toBe(backward.tokenKey);
  },
);
