import type { KeyObject } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Cluster as Cluster5, Redis as Redis5 } from 'ioredis5';
import type { Redis as Valkey, Cluster as ValkeyCluster } from 'iovalkey';
import { describe, expectTypeOf, it } from 'vitest';
import type { RedisLikeClient } from './adapters/ioredis.js';
import type { SessionRecord, SessionStore } from './index.js';

describe('RedisLikeClient', () => {
  it('fits every client in the peer range, standalone and cluster', () => {
    expectTypeOf<Redis>().toExtend<RedisLikeClient>();
    expectTypeOf<Cluster>().toExtend<RedisLikeClient>();
    expectTypeOf<Redis5>().toExtend<RedisLikeClient>();
    expectTypeOf<Cluster5>().toExtend<RedisLikeClient>();
    expectTypeOf<Valkey>().toExtend<RedisLikeClient>();
    expectTypeOf<ValkeyCluster>().toExtend<RedisLikeClient>();
  });
});

describe('SessionStore', () => {
  it('answers null for absent sessions and KeyObjects for keys', () => {
    expectTypeOf<SessionStore['getRecord']>().returns.resolves.toEqualTypeOf<SessionRecord | null>();
    expectTypeOf<SessionStore['getPrivateKey']>().returns.resolves.toEqualTypeOf<KeyObject | null>();
  });
});
