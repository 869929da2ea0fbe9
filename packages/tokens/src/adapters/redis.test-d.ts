import type { Redis as Ioredis, Cluster as IoredisCluster } from 'ioredis';
import type { Redis as Iovalkey, Cluster as IovalkeyCluster } from 'iovalkey';
import { expectTypeOf, test } from 'vitest';
import { type RedisReplayClient, redisReplayGuard } from './redis.js';

test('ioredis, iovalkey and their Cluster clients fit RedisReplayClient', () => {
  expectTypeOf<Ioredis>().toMatchTypeOf<RedisReplayClient>();
  expectTypeOf<IoredisCluster>().toMatchTypeOf<RedisReplayClient>();
  expectTypeOf<Iovalkey>().toMatchTypeOf<RedisReplayClient>();
  expectTypeOf<IovalkeyCluster>().toMatchTypeOf<RedisReplayClient>();
  expectTypeOf(redisReplayGuard).parameter(0).toEqualTypeOf<RedisReplayClient>();
});
