import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, listen } from '../app.js';
import { type TwoInstances, twoInstances } from '../cluster.js';
import { baseUrl, closeServer, failure, openStream } from '../http.js';
import { adapterScenarios } from '../scenarios.js';

let cluster: TwoInstances;
let serverA: Server;
let serverB: Server;
beforeAll(async () => {
  cluster = await twoInstances();
  serverA = await listen(createTestApp(cluster.a));
  serverB = await listen(createTestApp(cluster.b));
});
afterAll(async () => {
  await closeServer(serverA);
  await closeServer(serverB);
  await cluster.close();
});

// Every scenario again, with the registry on real Redis (its pause is a SIGSTOP of redis-server).
adapterScenarios('latchkey (hono) on Redis', { kit: () => cluster.a, url: () => baseUrl(serverA) });

describe('latchkey (hono) on two instances sharing Redis', () => {
  it("refuses another device's token on the other instance, and ends its stream there, within 1 s of logout", async () => {
    const laptop = await cluster.a.login('olivia', 'viewer');
    const phone = await cluster.b.login('olivia', 'viewer');
    const headers = { authorization: `Bearer ${phone}` };
    expect((await fetch(`${baseUrl(serverB)}/api/me`, { headers })).status).toBe(200);
    const stream = await openStream(`${baseUrl(serverB)}/api/events`, { headers });
    try {
      await stream.events(1, 2000);
      const started = performance.now();
      const logout = await fetch(`${baseUrl(serverA)}/auth/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${laptop}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(logout.status).toBe(200);
      expect(await stream.ended(1000)).toContain('event: end');
      expect(await failure(await fetch(`${baseUrl(serverB)}/api/me`, { headers }))).toEqual({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      await stream.close();
    }
    const again = await cluster.b.login('olivia', 'viewer');
    expect(
      (await fetch(`${baseUrl(serverB)}/api/me`, { headers: { authorization: `Bearer ${again}` } })).status,
    ).toBe(200);
  });
});
