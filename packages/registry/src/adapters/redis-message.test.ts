import { describe, expect, it } from 'vitest';
import { redisRevocationBus } from './redis.js';
import { encodeHeartbeat, encodeRevocation, parseBusMessage } from './redis-message.js';

describe('parseBusMessage', () => {
  it('reads a revocation and a heartbeat', () => {
    const revocation = { userId: 'alice', revokedAtMs: 1_700_000_000_123, origin: 'r-1' };
    expect(parseBusMessage(encodeRevocation('b-1', 3, revocation))).toEqual({
      kind: 'revocation',
      sender: 'b-1',
      sequence: 3,
      revocation,
    });
    expect(parseBusMessage(encodeHeartbeat('b-1', 4))).toEqual({
      kind: 'heartbeat',
      sender: 'b-1',
      sequence: 4,
    });
  });

  it('returns undefined for anything else', () => {
    for (const bad of [
      '',
      'not json',
      'null',
      '[]',
      '{"v":2,"b":"x","n":1}',
      '{"v":1,"n":1}',
      '{"v":1,"b":"","n":1}',
      '{"v":1,"b":"x","n":0}',
      '{"v":1,"b":"x","n":1.5}',
      '{"v":1,"b":"x","n":1,"u":"","at":1,"o":"o"}',
      '{"v":1,"b":"x","n":1,"u":"a","at":"1","o":"o"}',
      '{"v":1,"b":"x","n":1,"u":"a","at":1}',
      '{"v":1,"b":"x","n":1,"at":1,"o":"o"}',
    ]) {
      expect(parseBusMessage(bad)).toBeUndefined();
    }
  });
});

describe('redisRevocationBus', () => {
  it('rejects bad options with a TypeError', () => {
    const client = {} as never;
    const subscriber = {} as never;
    expect(() => redisRevocationBus({ client, subscriber, watermarkTtlMs: 0 })).toThrow(TypeError);
    expect(() => redisRevocationBus({ client, subscriber, watermarkTtlMs: 1, clockToleranceMs: -1 })).toThrow(
      TypeError,
    );
    expect(() => redisRevocationBus({ client, subscriber, watermarkTtlMs: 1, heartbeatMs: 0 })).toThrow(
      TypeError,
    );
    expect(() => redisRevocationBus({ client, subscriber, watermarkTtlMs: 1, timeoutMs: 1.5 })).toThrow(
      TypeError,
    );
  });
});
