// Client behaviour only (a client that never answers, or answers oddly); what a server decides is
// tested against real servers in test/integration.
import { describe, expect, it } from 'vitest';
import { type RedisReplayClient, redisReplayGuard } from './redis.js';

const client = (set: RedisReplayClient['set']): RedisReplayClient => ({ set });

describe('redisReplayGuard', () => {
  it('sends SET prefix+jti 1 PX <ms until expiry> NX', async () => {
    const calls: unknown[][] = [];
    const guard = redisReplayGuard(
      client(async (...args) => {
        calls.push(args);
        return 'OK';
      }),
      { prefix: 'p:', now: () => 1000 },
    );
    expect(await guard.claim('j1', 61_000)).toBe(true);
    expect(calls).toEqual([['p:j1', '1', 'PX', 60_000, 'NX']]);
  });

  it('fails closed with STORE_UNAVAILABLE on a client that hangs, errors or answers oddly', async () => {
    const hanging = redisReplayGuard(
      client(() => new Promise(() => undefined)),
      { timeoutMs: 20 },
    );
    await expect(hanging.claim('j', Date.now() + 10_000)).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      reason: 'timeout',
      status: 503,
    });
    const failing = redisReplayGuard(
      client(() => Promise.reject(new Error('CLUSTERDOWN The cluster is down'))),
    );
    await expect(failing.claim('j', Date.now() + 10_000)).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      reason: 'cluster-down',
    });
    const odd = redisReplayGuard(client(async () => 'QUEUED' as 'OK'));
    await expect(odd.claim('j', Date.now() + 10_000)).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      reason: 'unexpected-reply',
    });
  });

  it('sends nothing for a token already past its window', async () => {
    let sent = 0;
    const guard = redisReplayGuard(
      client(async () => {
        sent++;
        return 'OK';
      }),
      { now: () => 5000 },
    );
    expect(await guard.claim('j', 5000)).toBe(true);
    expect(sent).toBe(0);
  });
});
