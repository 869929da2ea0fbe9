import type { KeyObject } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Cluster as Cluster5, Redis as Redis5 } from 'ioredis5';
import type { Redis as Valkey, Cluster as ValkeyCluster } from 'iovalkey';
import { describe, expectTypeOf, it } from 'vitest';
import type { RedisSessionClient } from './adapters/redis.js';
import type { SessionRecord, SessionStore } from './index.js';

describe('RedisSessionClient', () => {
  it('fits every client in the peer range, standalone and cluster', () => {
    expectTypeOf<Redis>().toExtend<RedisSessionClient>();
    expectTypeOf<Cluster>().toExtend<RedisSessionClient>();
    expectTypeOf<Redis5>().toExtend<RedisSessionClient>();
    expectTypeOf<Cluster5>().toExtend<RedisSessionClient>();
    expectTypeOf<Valkey>().toExtend<RedisSessionClient>();
    expectTypeOf<ValkeyCluster>().toExtend<RedisSessionClient>();
  });
});

describe('SessionStore', () => {
  it('answers null for absent sessions and KeyObjects for keys', () => {
    expectTypeOf<SessionStore['getRecord']>().returns.resolves.toEqualTypeOf<SessionRecord | null>();
    expectTypeOf<SessionStore['getPrivateKey']>().returns.resolves.toEqualTypeOf<KeyObject | null>();
  });
});
