import { describe, expect, it } from 'vitest';
import { parseRevocation, redisRevocationBus } from './redis.js';

describe('parseRevocation', () => {
  it('reads a well-formed message', () => {
    expect(parseRevocation('{"v":1,"u":"alice","at":5,"o":"x"}')).toEqual({
      userId: 'alice',
      at: 5,
      origin: 'x',
    });
  });

  it('returns undefined for anything else', () => {
    for (const message of [
      '',
      'null',
      '[]',
      '{"v":2,"u":"a","at":1,"o":"x"}',
      '{"v":1,"u":"","at":1,"o":"x"}',
      '{"v":1,"u":"a","at":"1","o":"x"}',
      '{"v":1,"u":"a","at":1}',
    ]) {
      expect(parseRevocation(message)).toBeUndefined();
    }
  });
});

describe('redisRevocationBus', () => {
  it('rejects a bad TTL with a TypeError', () => {
    const client = {} as never;
    expect(() => redisRevocationBus({ client, subscriber: client, watermarkTtlMs: 0 })).toThrow(TypeError);
  });
});
