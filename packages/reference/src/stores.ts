import { once } from 'node:events';
import { Redis as Ioredis, Cluster as IoredisCluster } from 'ioredis';
import { Redis as Iovalkey } from 'iovalkey';
import type { StoreConfig } from './config.js';

/** A connected client of the configured flavour. */
export type StoreClient = Ioredis | IoredisCluster | Iovalkey;

/** A store connection the server owns, with a way to open a second one (pub/sub needs its own). */
export interface StoreConnection {
  readonly client: StoreClient;
  readonly isCluster: boolean;
  /**
   * Opens another connection to the same store, closed by {@link StoreConnection.close}. With
   * `subscriber`, a cluster connection routes `SSUBSCRIBE` to the node owning each channel's slot.
   */
  duplicate(options?: { readonly subscriber?: boolean }): Promise<StoreClient>;
  /** Closes every connection opened here. */
  close(): Promise<void>;
}

// Fail fast rather than queue: a request that cannot reach the store answers 503 at once, and the
// client keeps reconnecting in the background so the server recovers without a restart.
const CLIENT_OPTIONS = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: 2_000,
  retryStrategy: () => 250,
  lazyConnect: true,
} as const;

async function ready(client: StoreClient, subscriber: boolean): Promise<void> {
  if (client.status === 'ready') return;
  // A sharded-subscriber cluster can only SSUBSCRIBE once its per-master subscribers are up.
  const connected =
    subscriber && client instanceof IoredisCluster
      ? Promise.all([once(client, 'ready'), once(client, 'subscribersReady')])
      : once(client, 'ready');
  const failed = once(client, 'error').then(([error]) => Promise.reject(error));
  if (client.status === 'wait') client.connect().catch(() => undefined);
  await Promise.race([connected, failed]);
}

function open(config: Exclude<StoreConfig, { kind: 'memory' }>, subscriber: boolean): StoreClient {
  switch (config.kind) {
    case 'redis':
      return new Ioredis(config.url, CLIENT_OPTIONS);
    case 'valkey':
      return new Iovalkey(config.url, CLIENT_OPTIONS);
    case 'cluster':
      return new IoredisCluster(
        config.nodes.map(({ host, port }) => ({ host, port })),
        {
          enableOfflineQueue: false,
          lazyConnect: true,
          shardedSubscribers: subscriber,
          clusterRetryStrategy: () => 250,
          redisOptions: { maxRetriesPerRequest: 0, connectTimeout: 2_000 },
        },
      );
  }
}

/**
 * Connects to the configured Redis / Valkey (standalone or cluster) and waits until it is ready.
 * Errors after start-up are reported through `onError` (a reconnecting client emits many).
 *
 * @example
 * ```ts
 * const store = await connectStore({ kind: 'redis', url: 'redis://127.0.0.1:6379' }, log);
 * ```
 */
export async function connectStore(
  config: Exclude<StoreConfig, { kind: 'memory' }>,
  onError: (error: unknown) => void,
): Promise<StoreConnection> {
  const clients: StoreClient[] = [];
  const connect = async (options?: { readonly subscriber?: boolean }): Promise<StoreClient> => {
    const subscriber = options?.subscriber === true;
    const client = open(config, subscriber);
    clients.push(client);
    try {
      await ready(client, subscriber);
    } catch (error) {
      client.disconnect();
      throw error;
    }
    (client as NodeJS.EventEmitter).on('error', onError);
    return client;
  };
  const client = await connect();
  return {
    client,
    isCluster: config.kind === 'cluster',
    duplicate: connect,
    async close() {
      await Promise.all(
        clients.map(async (each) => {
          try {
            await each.quit();
          } catch {
            each.disconnect();
          }
        }),
      );
    },
  };
}
