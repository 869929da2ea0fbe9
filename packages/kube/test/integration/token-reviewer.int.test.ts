import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createKubeApiClient,
  createTokenReviewer,
  type KubeApiClient,
  type TokenReviewerOptions,
  tokenFileCredential,
} from '../../src/index.js';
import { AUDIENCES, type KubeFixture, startFixture } from './fixture.js';

let fx: KubeFixture;
let client: KubeApiClient;
const open: Array<{ close(): void }> = [];

beforeAll(async () => {
  fx = await startFixture();
  client = createKubeApiClient({ apiServer: fx.kube.url, ca: fx.kube.caPem, timeoutMs: 1_000 });
});
afterAll(async () => {
  client.close();
  await fx.kube.close();
});
afterEach(() => {
  for (const item of open.splice(0)) item.close();
  fx.kube.clearFaults();
  fx.kube.resetCounts();
});

function reviewer(options: Partial<TokenReviewerOptions> = {}) {
  const created = createTokenReviewer({
    client,
    credential: () => fx.reviewerToken,
    audiences: AUDIENCES,
    ...options,
  } as TokenReviewerOptions);
  open.push(created);
  return created;
}

const tokenReviews = (): number => fx.kube.counts().tokenReviews;

describe('createTokenReviewer', () => {
  describe('accepts', () => {
    it('a pod-bound service-account token, with the identity the API server gave', async () => {
      const token = fx.callerToken();
      const identity = await reviewer().review(token);
      expect(identity).toMatchObject({
        username: 'system:serviceaccount:team-a:runner',
        uid: fx.callerUid,
        serviceAccount: { namespace: 'team-a', name: 'runner' },
        pod: { name: 'runner-pod' },
        groups: ['system:serviceaccounts', 'system:serviceaccounts:team-a', 'system:authenticated'],
        audiences: ['latchkey'],
      });
      expect(identity.extra['authentication.kubernetes.io/pod-name']).toEqual(['runner-pod']);
      expect(identity.tokenKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(JSON.stringify(identity)).not.toContain(token);
    });

    it('an ES256-signed token too', async () => {
      const token = fx.kube.issueToken({
        namespace: 'team-a',
        serviceAccount: 'runner',
        audiences: AUDIENCES,
        alg: 'ES256',
      });
      expect((await reviewer().review(token)).uid).toBe(fx.callerUid);
    });

    it('sends spec.token and spec.audiences with its own bearer credential', async () => {
      const token = fx.callerToken();
      await reviewer().review(token);
      const sent = fx.kube.recorded().at(-1);
      expect(sent?.body).toEqual({
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token, audiences: ['latchkey'] },
      });
      expect(sent).toMatchObject({
        method: 'POST',
        path: '/apis/authentication.k8s.io/v1/tokenreviews',
        contentType: 'application/json',
        authorizationScheme: 'Bearer',
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { audiences: ['latchkey'] },
        },
      });
    });

    it('an explicitly listed admin principal that is not a service account', async () => {
      const token = fx.kube.issueUserToken('jane@example.com', ['developers'], AUDIENCES);
      const identity = await reviewer({ adminPrincipals: ['jane@example.com'] }).review(token);
      expect(identity).toMatchObject({ username: 'jane@example.com', serviceAccount: undefined });
    });
  });

  describe('401 UNAUTHENTICATED', () => {
    it.each([
      ['', 'missing'],
      ['not-a-jwt', 'malformed'],
      ['a.b', 'malformed'],
      ['a.b.c.d', 'malformed'],
      ['a.b!.c', 'malformed'],
    ])('for %j (%s), before any network call', async (token, reason) => {
      await expect(reviewer().review(token)).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        status: 401,
        reason,
      });
      expect(tokenReviews()).toBe(0);
    });

    it('for a token whose exp is past, before any network call', async () => {
      const later = Date.now() + 2 * 3600_000;
      await expect(reviewer({ now: () => later }).review(fx.callerToken())).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'expired',
      });
      expect(tokenReviews()).toBe(0);
    });

    it('for a forged token (signature changed): the API server says unauthenticated', async () => {
      const token = fx.callerToken();
      const forged = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      await expect(reviewer().review(forged)).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'invalid',
      });
      expect(tokenReviews()).toBe(1);
    });

    it('for a token minted for another audience', async () => {
      await expect(reviewer().review(fx.callerToken({ audiences: ['someone-else'] }))).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        status: 401,
      });
    });

    it.each([
      ['missing', undefined],
      ['empty', []],
      ['not intersecting', ['https://kubernetes.default.svc.cluster.local']],
    ])('when status.audiences is %s, although authenticated is true', async (_, audiences) => {
      fx.kube.fault({
        type: 'respond',
        status: 201,
        body: {
          kind: 'TokenReview',
          apiVersion: 'authentication.k8s.io/v1',
          metadata: { creationTimestamp: null },
          status: {
            authenticated: true,
            user: { username: 'system:serviceaccount:team-a:runner', uid: fx.callerUid, groups: [] },
            ...(audiences === undefined ? {} : { audiences }),
          },
        },
      });
      await expect(reviewer().review(fx.callerToken())).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        status: 401,
        reason: 'audience',
      });
    });
  });

  describe('403 FORBIDDEN', () => {
    it('for an authenticated user that is not a service account', async () => {
      const token = fx.kube.issueUserToken('jane@example.com', ['developers'], AUDIENCES);
      await expect(reviewer().review(token)).rejects.toMatchObject({
        code: 'FORBIDDEN',
        status: 403,
        reason: 'not-service-account',
      });
    });

    it("treats the reviewer's own service account as an ordinary one, never an admin", async () => {
      const own = fx.kube.issueToken({
        namespace: 'latchkey',
        serviceAccount: 'router',
        audiences: AUDIENCES,
      });
      // It is a service account, so it passes as itself, with no extra standing.
      const identity = await reviewer().review(own);
      expect(identity.serviceAccount).toEqual({ namespace: 'latchkey', name: 'router' });
    });
  });

  describe('502 UPSTREAM_UNAVAILABLE, never cached', () => {
    it.each([
      [{ type: 'too-many-requests', retryAfterSeconds: 2 } as const, 'rate-limited', 1],
      [{ type: 'internal-error' } as const, 'server-error', 1],
      // A reset on a kept-alive socket is retried once on a fresh one, so it takes two in a row.
      [{ type: 'reset' } as const, 'unreachable', 2],
      [{ type: 'garbage' } as const, 'bad-response', 1],
      [{ type: 'wrong-kind' } as const, 'bad-response', 1],
    ])('for %o (%s), then the next review asks again and passes', async (fault, reason, count) => {
      const seen: string[] = [];
      const r = reviewer({ onUpstreamError: (error) => seen.push(error.reason) });
      const token = fx.callerToken();
      fx.kube.fault(fault, { count });
      await expect(r.review(token)).rejects.toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        status: 502,
        reason,
      });
      expect(seen).toEqual([reason]);
      expect((await r.review(token)).uid).toBe(fx.callerUid);
      expect(tokenReviews()).toBe(count + 1);
    });

    it('for an API server slower than the deadline, within the deadline', async () => {
      fx.kube.fault({ type: 'latency', ms: 1_500 });
      const started = performance.now();
      await expect(reviewer().review(fx.callerToken())).rejects.toMatchObject({
        reason: 'timeout',
        status: 502,
      });
      const elapsedMs = performance.now() - started;
      expect(elapsedMs).toBeGreaterThanOrEqual(950);
      expect(elapsedMs).toBeLessThan(1_400);
    });

    it('defaults the deadline to 5 s', async () => {
      const { DEFAULT_TIMEOUT_MS } = await import('../../src/index.js');
      expect(DEFAULT_TIMEOUT_MS).toBe(5_000);
    });

    it('for the API server refusing our credential (401): reviewer-credential-refused', async () => {
      const r = reviewer({ credential: () => fx.callerToken({ audiences: ['wrong'] }) });
      await expect(r.review(fx.callerToken())).rejects.toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        reason: 'reviewer-credential-refused',
      });
    });

    it('for our service account lacking RBAC on tokenreviews (403): reviewer-credential-refused', async () => {
      fx.kube.createServiceAccount('latchkey', 'unprivileged');
      const unprivileged = fx.kube.issueToken({ namespace: 'latchkey', serviceAccount: 'unprivileged' });
      await expect(
        reviewer({ credential: () => unprivileged }).review(fx.callerToken()),
      ).rejects.toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        reason: 'reviewer-credential-refused',
      });
      expect(fx.kube.counts().refusedCredentials).toBe(1);
    });
  });

  describe('cache', () => {
    it('shares one TokenReview among 100 concurrent requests with one token', async () => {
      const r = reviewer();
      const token = fx.callerToken();
      fx.kube.fault({ type: 'latency', ms: 50 });
      const identities = await Promise.all(Array.from({ length: 100 }, () => r.review(token)));
      expect(new Set(identities.map((identity) => identity.uid))).toEqual(new Set([fx.callerUid]));
      expect(tokenReviews()).toBe(1);
    });

    it('lets one caller abort without cancelling the shared review for the others', async () => {
      const r = reviewer();
      const token = fx.callerToken();
      fx.kube.fault({ type: 'latency', ms: 150 });
      const controller = new AbortController();
      const first = r.review(token, { signal: controller.signal });
      const second = r.review(token);
      setTimeout(() => controller.abort(new Error('client went away')), 20);
      await expect(first).rejects.toThrow('client went away');
      expect((await second).uid).toBe(fx.callerUid);
      expect(tokenReviews()).toBe(1);
    });

    it('answers CAPACITY_EXHAUSTED beyond maxInFlight distinct reviews', async () => {
      const r = reviewer({ maxInFlight: 2 });
      fx.kube.fault({ type: 'latency', ms: 150 }, { count: 2 });
      const a = r.review(fx.callerToken());
      const b = r.review(fx.callerToken());
      await expect(r.review(fx.callerToken())).rejects.toMatchObject({
        code: 'CAPACITY_EXHAUSTED',
        status: 503,
        reason: 'reviews-in-flight',
      });
      await Promise.all([a, b]);
    });

    it('reuses a positive review until positiveTtlMs from the review, never sliding', async () => {
      let nowMs = Date.now();
      const r = reviewer({ now: () => nowMs });
      const token = fx.callerToken();
      await r.review(token);
      nowMs += 9_999;
      await r.review(token); // a hit at the last moment does not extend the entry
      expect(tokenReviews()).toBe(1);
      nowMs += 1;
      await r.review(token);
      expect(tokenReviews()).toBe(2);
    });

    it('refuses a token whose pod was deleted within the positive TTL', async () => {
      let nowMs = Date.now();
      const r = reviewer({ now: () => nowMs });
      fx.kube.createPod('team-a', 'short-lived', 'runner');
      const token = fx.kube.issueToken({
        namespace: 'team-a',
        serviceAccount: 'runner',
        pod: 'short-lived',
        audiences: AUDIENCES,
      });
      await r.review(token);
      fx.kube.deletePod('team-a', 'short-lived');
      nowMs += 10_000;
      await expect(r.review(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', reason: 'invalid' });
    });

    it('refuses a token whose service account was deleted', async () => {
      const account = fx.kube.createServiceAccount('team-a', 'doomed');
      const token = fx.kube.issueToken({
        namespace: 'team-a',
        serviceAccount: 'doomed',
        audiences: AUDIENCES,
      });
      expect((await reviewer().review(token)).uid).toBe(account.uid);
      fx.kube.deleteServiceAccount('team-a', 'doomed');
      await expect(reviewer().review(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    });

    it("never reuses a positive review past the token's exp", async () => {
      let nowMs = Date.now();
      const r = reviewer({ now: () => nowMs });
      const token = fx.callerToken({ expiresInSeconds: 3 });
      await r.review(token);
      const expMs = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).exp * 1000;
      nowMs = expMs - 1;
      await r.review(token);
      expect(tokenReviews()).toBe(1);
      nowMs = expMs;
      await expect(r.review(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', reason: 'expired' });
      expect(tokenReviews()).toBe(1);
    });

    it('reuses a refusal for negativeTtlMs only', async () => {
      let nowMs = Date.now();
      const r = reviewer({ now: () => nowMs });
      const wrong = fx.callerToken({ audiences: ['someone-else'] });
      await expect(r.review(wrong)).rejects.toMatchObject({ status: 401 });
      nowMs += 1_999;
      await expect(r.review(wrong)).rejects.toMatchObject({ status: 401 });
      expect(tokenReviews()).toBe(1);
      nowMs += 1;
      await expect(r.review(wrong)).rejects.toMatchObject({ status: 401 });
      expect(tokenReviews()).toBe(2);
    });

    it('keys by audience set, whatever the configured order', async () => {
      const keyer = (await import('../../src/index.js')).createCacheKeyer();
      const token = fx.kube.issueToken({
        namespace: 'team-a',
        serviceAccount: 'runner',
        audiences: ['a', 'b'],
      });
      const ab = await reviewer({ audiences: ['a', 'b'], keyer }).review(token);
      const ba = await reviewer({ audiences: ['b', 'a'], keyer }).review(token);
      expect(ab.tokenKey).toBe(ba.tokenKey);
      const onlyA = await reviewer({ audiences: ['a'], keyer }).review(token);
      expect(onlyA.tokenKey).not.toBe(ab.tokenKey);
    });

    it('keeps a good entry through a flood of 10,000 distinct garbage tokens', async () => {
      // Its own client with the default 5 s deadline: on a loaded CI machine, 50 reviews in flight can
      // take longer than the 1 s the other tests use, and a 502 is not what this test is about.
      const floodClient = createKubeApiClient({ apiServer: fx.kube.url, ca: fx.kube.caPem });
      open.push(floodClient);
      // A frozen clock: the flood may outlast the 10 s TTL on a slow machine; eviction is the question.
      const frozenMs = Date.now();
      const r = reviewer({ client: floodClient, maxNegativeEntries: 500, now: () => frozenMs });
      const good = fx.callerToken();
      await r.review(good);
      const junk = (i: number): string =>
        `${Buffer.from(`{"alg":"RS256","n":${i}}`).toString('base64url')}.eyJzdWIiOiJ4In0.${i.toString(36)}sig`;
      const batch = 50;
      for (let start = 0; start < 10_000; start += batch) {
        const results = await Promise.allSettled(
          Array.from({ length: batch }, (_, j) => r.review(junk(start + j))),
        );
        expect(results.every((result) => result.status === 'rejected' && result.reason.status === 401)).toBe(
          true,
        );
      }
      // Every junk token was reviewed (none was cached as good), and the good entry is still there.
      const afterFlood = tokenReviews();
      expect(afterFlood).toBeGreaterThanOrEqual(10_001);
      await r.review(good);
      expect(tokenReviews()).toBe(afterFlood);
    }, 60_000);
  });

  describe('credential', () => {
    it('uses a token file rewritten in place on the next review', async () => {
      const path = join(fx.kube.dir, 'rotating-in-place');
      const old = fx.kube.createServiceAccount('latchkey', 'router-old');
      fx.kube.grantReviewer('latchkey', 'router-old');
      writeFileSync(path, fx.kube.issueToken({ namespace: 'latchkey', serviceAccount: 'router-old' }));
      const r = reviewer({ credential: tokenFileCredential(path, { checkIntervalMs: 0 }) });
      await r.review(fx.callerToken());
      writeFileSync(path, fx.reviewerToken);
      fx.kube.deleteServiceAccount(old.namespace, old.name);
      expect((await r.review(fx.callerToken())).uid).toBe(fx.callerUid);
    });

    it('uses a token swapped in by a ..data symlink, as the kubelet rotates it, within 5 s', async () => {
      const dir = join(fx.kube.dir, 'projected');
      mkdirSync(join(dir, '..v1'), { recursive: true });
      const old = fx.kube.createServiceAccount('latchkey', 'router-v1');
      fx.kube.grantReviewer('latchkey', 'router-v1');
      writeFileSync(
        join(dir, '..v1', 'token'),
        fx.kube.issueToken({ namespace: 'latchkey', serviceAccount: 'router-v1' }),
      );
      symlinkSync('..v1', join(dir, '..data'));
      symlinkSync('..data/token', join(dir, 'token'));
      let nowMs = 0;
      const r = reviewer({ credential: tokenFileCredential(join(dir, 'token'), { now: () => nowMs }) });
      await r.review(fx.callerToken());
      mkdirSync(join(dir, '..v2'));
      writeFileSync(join(dir, '..v2', 'token'), fx.reviewerToken);
      symlinkSync('..v2', join(dir, '..data.tmp'));
      renameSync(join(dir, '..data.tmp'), join(dir, '..data'));
      fx.kube.deleteServiceAccount(old.namespace, old.name);
      nowMs = 5_000;
      expect((await r.review(fx.callerToken())).uid).toBe(fx.callerUid);
    });
  });

  describe('API server stopped', () => {
    it('answers 502 within the deadline, then recovers when it is back', async () => {
      const r = reviewer();
      await r.review(fx.callerToken());
      await fx.kube.stop();
      try {
        const started = performance.now();
        await expect(r.review(fx.callerToken())).rejects.toMatchObject({
          code: 'UPSTREAM_UNAVAILABLE',
          status: 502,
          reason: 'unreachable',
        });
        expect(performance.now() - started).toBeLessThan(1_000);
      } finally {
        await fx.kube.start();
      }
      expect((await r.review(fx.callerToken())).uid).toBe(fx.callerUid);
    });
  });
});
