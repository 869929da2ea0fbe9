import type { SessionStoreDriver } from '../driver.js';
import { type RedisLikeClient, redisDriver } from './redis-driver.js';

export type { RedisLikeClient, RedisNodeClient, RedisTransaction } from './redis-driver.js';

/**
 * A session-store driver on an iovalkey `Redis` or `Cluster` that you create, configure
 * and close. Puts are one MULTI/EXEC, deletes one UNLINK, rewrap scans every master of a cluster.
 *
 * @example
 * ```ts
 * import { Cluster, Redis } from 'iovalkey';
 * import { iovalkeyDriver } from '@latchkey/keystore/iovalkey';
 * const driver = iovalkeyDriver(new Redis(process.env.VALKEY_URL ?? 'redis://127.0.0.1:6379'));
 * const clustered = iovalkeyDriver(new Cluster([{ host: '127.0.0.1', port: 7000 }]));
 * ```
 */
export function iovalkeyDriver(client: RedisLikeClient): SessionStoreDriver {
  return redisDriver(client);
}
