// The behaviour every adapter owes, driven over real HTTP against a real app of its framework. The
// app under test mounts its API under /api and lists routes by their full path in `policy` (kit.ts);
// `GET /outside` answers `{ user: identityOf(…).userId }` without the middleware.
import { describe, expect, it } from 'vitest';
import { failure, openStream } from './http.js';
import { type Kit, STORE_TIMEOUT_MS } from './kit.js';

export interface Target {
  /** The primitives behind the app (read after `beforeAll`). */
  kit(): Kit;
  /** Base URL of the app, e.g. `http://127.0.0.1:54321`. */
  url(): string;
}

const json = { 'content-type': 'application/json' };
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** Polls `check` every 50 ms until it holds; fails after `withinMs`. */
async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function adapterScenarios(name: string, target: Target): void {
  const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${target.url()}${path}`, { headers });
  const post = (path: string, headers: Record<string, string>, body = '{"repo":"r","path":"p"}') =>
    fetch(`${target.url()}${path}`, { method: 'POST', headers: { ...json, ...headers }, body });

  describe(`${name}: authentication`, () => {
    it('accepts a valid Bearer header on a route mounted under a prefix (full path policy)', async () => {
      const token = await target.kit().login('alice', 'viewer');
      const response = await get('/api/me', bearer(token));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ user: 'alice' });
    });

    it('falls back to a valid cookie when the header is invalid', async () => {
      const token = await target.kit().login('bob', 'viewer');
      const response = await get('/api/me', { ...bearer('not-a-token'), cookie: `latchkey_auth=${token}` });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ user: 'bob' });
    });

    it('answers 401 UNAUTHENTICATED without a credential', async () => {
      expect(await failure(await get('/api/me'))).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    });

    it('reads ?token= only on the paths that enable it', async () => {
      const token = await target.kit().login('carol', 'viewer');
      expect(await failure(await get(`/api/me?token=${token}`))).toEqual({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
      const stream = await openStream(`${target.url()}/api/events?token=${token}`);
      try {
        expect(stream.status).toBe(200);
        await stream.events(1, 2000);
      } finally {
        await stream.close();
      }
    });

    it('answers 401 UNAUTHENTICATED when a handler the middleware did not run for asks for the identity', async () => {
      // `/outside` is outside the API (Express, Hono) or public (Fastify) and calls the adapter's identityOf.
      expect(await failure(await get('/outside'))).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    });

    it('answers 401 before 403: no credential on a route the caller could not use anyway', async () => {
      expect(await failure(await post('/api/gitops/sync', {}))).toEqual({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
      expect(await failure(await get('/api/unlisted'))).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    });

    it('answers 403 FORBIDDEN to a role below the route minimum', async () => {
      const token = await target.kit().login('dave', 'viewer');
      expect(await failure(await post('/api/gitops/sync', bearer(token)))).toEqual({
        status: 403,
        code: 'FORBIDDEN',
      });
      const editor = await target.kit().login('dave', 'editor');
      const accepted = await post('/api/gitops/sync', bearer(editor));
      expect(accepted.status).toBe(202);
    });

    it('denies a route the policy does not list, even to an admin', async () => {
      const token = await target.kit().login('erin', 'admin');
      expect(await failure(await get('/api/unlisted', bearer(token)))).toEqual({
        status: 403,
        code: 'FORBIDDEN',
      });
    });

    it('refuses a cookie-authenticated mutation from a foreign Origin with 403, but not a header one', async () => {
      const token = await target.kit().login('frank', 'editor');
      const cookie = { cookie: `latchkey_auth=${token}` };
      expect(
        await failure(await post('/api/gitops/sync', { ...cookie, origin: 'https://evil.example' })),
      ).toEqual({ status: 403, code: 'FORBIDDEN' });
      const own = new URL(target.url()).origin;
      expect((await post('/api/gitops/sync', { ...cookie, origin: own })).status).toBe(202);
      expect(
        (await post('/api/gitops/sync', { ...bearer(token), origin: 'https://evil.example' })).status,
      ).toBe(202);
    });
  });

  describe(`${name}: revocation`, () => {
    it("ends the user's stream within 1 s of logout while another user's continues", async () => {
      const alice = await target.kit().login('grace', 'viewer');
      const other = await target.kit().login('heidi', 'viewer');
      const mine = await openStream(`${target.url()}/api/events`, { headers: bearer(alice) });
      const theirs = await openStream(`${target.url()}/api/events`, { headers: bearer(other) });
      try {
        expect([mine.status, theirs.status]).toEqual([200, 200]);
        await mine.events(1, 2000);
        const logout = await post('/auth/logout', bearer(alice), '{}');
        expect(logout.status).toBe(200);
        expect(await logout.json()).toEqual({ cancelled: 1 });
        const text = await mine.ended(1000);
        expect(text).toContain('event: end');
        await theirs.events(2, 2000);
      } finally {
        await mine.close();
        await theirs.close();
      }
    });

    it("refuses another device's token after logout, and a new login works at once", async () => {
      const laptop = await target.kit().login('ivan', 'viewer');
      const phone = await target.kit().login('ivan', 'viewer');
      expect((await get('/api/me', bearer(phone))).status).toBe(200);
      expect((await post('/auth/logout', bearer(laptop), '{}')).status).toBe(200);
      expect(await failure(await get('/api/me', bearer(phone)))).toEqual({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
      expect(await failure(await get('/api/me', { cookie: `latchkey_auth=${phone}` }))).toEqual({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
      const again = await target.kit().login('ivan', 'viewer');
      expect((await get('/api/me', bearer(again))).status).toBe(200);
    });

    it('answers 503 STORE_UNAVAILABLE while the revocation store is unreachable, within its deadline', async () => {
      const token = await target.kit().login('judy', 'viewer');
      expect((await get('/api/me', bearer(token))).status).toBe(200);
      await target.kit().pauseStore();
      try {
        const started = performance.now();
        const response = await get('/api/me', bearer(token));
        expect(performance.now() - started).toBeLessThan(STORE_TIMEOUT_MS + 1000);
        expect(await failure(response)).toEqual({ status: 503, code: 'STORE_UNAVAILABLE' });
        expect(response.headers.get('retry-after')).toBe('1');
      } finally {
        await target.kit().resumeStore();
      }
      await eventually(async () => (await get('/api/me', bearer(token))).status === 200, 3000);
    });
  });

  describe(`${name}: errors`, () => {
    it("answers the framework's own 400 for malformed JSON as INVALID_REQUEST", async () => {
      const token = await target.kit().login('ken', 'editor');
      expect(await failure(await post('/api/gitops/sync', bearer(token), '{"repo":'))).toEqual({
        status: 400,
        code: 'INVALID_REQUEST',
      });
    });

    it("answers the framework's own 413 for an oversized body as PAYLOAD_TOO_LARGE", async () => {
      const token = await target.kit().login('ken', 'editor');
      const big = JSON.stringify({ repo: 'x'.repeat(4096), path: 'p' });
      expect(await failure(await post('/api/gitops/sync', bearer(token), big))).toEqual({
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      });
    });

    it('answers an unknown path outside the API with 404 NOT_FOUND as JSON', async () => {
      const response = await get('/nowhere');
      expect(await failure(response)).toEqual({ status: 404, code: 'NOT_FOUND' });
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    });
  });
}
