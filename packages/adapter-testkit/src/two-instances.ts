// The revocation scenarios again on real Redis, plus the one only two replicas can show: a logout on
// one instance ends the other instance's stream and refuses its tokens within 1 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppFactory, RunningApp } from './app-factory.js';
import { type TwoInstances, twoInstances } from './cluster.js';
import { failure, openStream } from './http.js';
import { adapterScenarios } from './scenarios.js';

/** Registers the Redis-backed suite for one adapter: `name` is e.g. `'latchkey (express)'`. */
export function twoInstanceScenarios(name: string, start: AppFactory): void {
  let cluster: TwoInstances;
  let appA: RunningApp;
  let appB: RunningApp;
  beforeAll(async () => {
    cluster = await twoInstances();
    appA = await start(cluster.a);
    appB = await start(cluster.b);
  });
  afterAll(async () => {
    await appA?.close();
    await appB?.close();
    await cluster?.close();
  });

  // Every scenario again, with the registry on real Redis (its pause is a SIGSTOP of redis-server).
  adapterScenarios(`${name} on Redis`, { kit: () => cluster.a, url: () => appA.url });

  describe(`${name} on two instances sharing Redis`, () => {
    it("refuses another device's token on the other instance, and ends its stream there, within 1 s of logout", async () => {
      const laptop = await cluster.a.login('olivia', 'viewer');
      const phone = await cluster.b.login('olivia', 'viewer');
      const headers = { authorization: `Bearer ${phone}` };
      expect((await fetch(`${appB.url}/api/me`, { headers })).status).toBe(200);
      const stream = await openStream(`${appB.url}/api/events`, { headers });
      try {
        await stream.events(1, 2000);
        const started = performance.now();
        const logout = await fetch(`${appA.url}/auth/logout`, {
          method: 'POST',
          headers: { authorization: `Bearer ${laptop}`, 'content-type': 'application/json' },
          body: '{}',
        });
        expect(logout.status).toBe(200);
        expect(await stream.ended(1000)).toContain('event: end');
        expect(await failure(await fetch(`${appB.url}/api/me`, { headers }))).toEqual({
          status: 401,
          code: 'UNAUTHENTICATED',
        });
        expect(performance.now() - started).toBeLessThan(1000);
      } finally {
        await stream.close();
      }
      const again = await cluster.b.login('olivia', 'viewer');
      expect(
        (await fetch(`${appB.url}/api/me`, { headers: { authorization: `Bearer ${again}` } })).status,
      ).toBe(200);
    });
  });
}
