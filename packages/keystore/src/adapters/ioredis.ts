import type { SessionStoreDriver } from '../driver.js';
import { type RedisLikeClient, redisDriver } from './redis-driver.js';

export type { RedisLikeClient, RedisNodeClient, RedisTransaction } from './redis-driver.js';

/**
 * A session-store driver on an ioredis (v5 or v6) `Redis` or `Cluster` that you create, configure
 * and close. Puts are one MULTI/EXEC, deletes one UNLINK, rewrap scans every master of a cluster.
 *
 * @example
 * ```ts
 * import { Cluster, Redis } from 'ioredis';
 * import { ioredisDriver } from '@latchkey/keystore/ioredis';
 * const driver = ioredisDriver(new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'));
 * const clustered = ioredisDriver(new Cluster([{ host: '127.0.0.1', port: 7000 }]));
 * ```
 */
export function ioredisDriver(client: RedisLikeClient): SessionStoreDriver {
  return redisDriver(client);
}
