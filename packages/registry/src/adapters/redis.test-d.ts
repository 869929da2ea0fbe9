import type { Cluster as IoredisCluster, Redis as IoredisRedis } from 'ioredis';
import type { Cluster as IovalkeyCluster, Redis as IovalkeyRedis } from 'iovalkey';
import { expectTypeOf, test } from 'vitest';
import type { RedisBusClient, RedisBusSubscriber } from './redis.js';

test('ioredis and iovalkey clients fit the structural client types', () => {
  expectTypeOf<IoredisRedis>().toExtend<RedisBusClient>();
  expectTypeOf<IoredisRedis>().toExtend<RedisBusSubscriber>();
  expectTypeOf<IoredisCluster>().toExtend<RedisBusClient>();
  expectTypeOf<IoredisCluster>().toExtend<RedisBusSubscriber>();
  expectTypeOf<IovalkeyRedis>().toExtend<RedisBusClient>();
  expectTypeOf<IovalkeyRedis>().toExtend<RedisBusSubscriber>();
  expectTypeOf<IovalkeyCluster>().toExtend<RedisBusClient>();
  expectTypeOf<IovalkeyCluster>().toExtend<RedisBusSubscriber>();
});
