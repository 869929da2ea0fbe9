import type { ScanPage, SessionStoreDriver } from '../driver.js';
import type { SessionKeyNames } from '../session-id.js';

/** One queued transaction, as ioredis and iovalkey return from `multi(commands)`. */
export interface RedisTransaction {
  exec(): Promise<Array<[error: Error | null, result: unknown]> | null>;
}

/** The commands the driver uses on one node (a standalone client, or one node of a cluster). */
export interface RedisNodeClient {
  get(key: string): Promise<string | null>;
  unlink(...keys: string[]): Promise<number>;
  multi(commands: Array<Array<string | number>>): RedisTransaction;
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  scan(
    cursor: string,
    matchToken: 'MATCH',
    pattern: string,
    countToken: 'COUNT',
    count: number,
  ): Promise<[cursor: string, keys: string[]]>;
}

/**
 * The client an ioredis / iovalkey driver takes: a standalone `Redis` or a `Cluster` of either
 * library. Typed by shape, so any major in the peer range (and other clients with these methods) fits.
 */
export interface RedisLikeClient extends RedisNodeClient {
  /** `true` on a `Cluster`. */
  readonly isCluster?: boolean;
  /** On a `Cluster`: its nodes by role. */
  nodes?(role: 'master'): RedisNodeClient[];
}

/** Node identity for cluster scan cursors, read from the node client's connection options. */
interface NodeOptions {
  readonly options?: { readonly host?: string; readonly port?: number };
}

// Replace the value only while it is still the one we read, keeping the TTL (KEEPTTL, Redis ≥ 6):
// the rewrap never resurrects a deleted session nor overwrites a newer put.
const SWAP_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
return 0`;

function checkReplies(replies: Array<[error: Error | null, result: unknown]> | null): unknown[] {
  if (replies === null) throw new Error('transaction aborted');
  return replies.map(([error, result]) => {
    if (error !== null) throw error;
    return result;
  });
}

function checkWrite(replies: Array<[error: Error | null, result: unknown]> | null): void {
  checkReplies(replies);
}

// A `then` on the client's promise rather than an async function: one hop fewer per write.
function execOrThrow(transaction: RedisTransaction): Promise<unknown[]> {
  return transaction.exec().then(checkReplies);
}

function nodeId(node: RedisNodeClient): string {
  const { host, port } = (node as NodeOptions).options ?? {};
  return `${host ?? ''}:${port ?? ''}`;
}

function masterNodes(client: RedisLikeClient): RedisNodeClient[] {
  if (client.isCluster === true && typeof client.nodes === 'function') {
    // A stable order, so a resumed scan continues where it left off.
    return [...client.nodes('master')].sort((a, b) =>
      nodeId(a) < nodeId(b) ? -1 : nodeId(a) > nodeId(b) ? 1 : 0,
    );
  }
  return [client];
}

/** Cursor text: `<node index>:<node id>:<SCAN cursor>` (the node id detects a changed master set). */
function parseCursor(cursor: string | null): { index: number; node: string; scan: string } {
  if (cursor === null) return { index: 0, node: '', scan: '0' };
  const match = /^(\d+)\|([^|]*)\|(\d+)$/.exec(cursor);
  if (match === null) throw new TypeError('not a cursor returned by rewrap');
  return { index: Number(match[1]), node: match[2] ?? '', scan: match[3] ?? '0' };
}

/**
 * The driver for ioredis and iovalkey clients, standalone or Cluster. Used through
 * `ioredisDriver` / `iovalkeyDriver`. The caller creates, owns and closes the client.
 *
 * @example
 * ```ts
 * const driver = redisDriver(new Redis(url));
 * ```
 */
export function redisDriver(client: RedisLikeClient): SessionStoreDriver {
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof client.get !== 'function' ||
    typeof client.multi !== 'function'
  ) {
    throw new TypeError('client must be an ioredis / iovalkey Redis or Cluster');
  }
  return {
    write(names: SessionKeyNames, record, key, ttlSeconds) {
      // One MULTI/EXEC on one slot (shared hash tag): both entries or neither, never CROSSSLOT. Not
      // async: the put path takes as few promise hops as the plain MULTI/EXEC it is measured against.
      return client
        .multi([
          ['set', names.record, record, 'EX', ttlSeconds],
          ['set', names.key, key, 'EX', ttlSeconds],
        ])
        .exec()
        .then(checkWrite);
    },
    read(names, part) {
      // Not async: the client's promise is returned as is, one promise and one hop fewer per read.
      return client.get(names[part]);
    },
    async touch(names, ttlSeconds) {
      const [recordSet, keySet] = await execOrThrow(
        client.multi([
          ['expire', names.record, ttlSeconds],
          ['expire', names.key, ttlSeconds],
        ]),
      );
      return recordSet === 1 && keySet === 1;
    },
    async delete(names) {
      return (await client.unlink(names.record, names.key)) > 0;
    },
    async scan(pattern, cursor, count): Promise<ScanPage> {
      const nodes = masterNodes(client);
      const position = parseCursor(cursor);
      let index = position.index;
      let scanCursor = position.scan;
      const node = nodes[index];
      if (node === undefined) return { names: [], cursor: null };
      // After a failover the master set changes; restarting that node's scan is safe (rewrap is idempotent).
      if (cursor !== null && nodeId(node) !== position.node) scanCursor = '0';
      const [next, names] = await node.scan(scanCursor, 'MATCH', pattern, 'COUNT', count);
      if (next !== '0') return { names, cursor: `${index}|${nodeId(node)}|${next}` };
      index++;
      const following = nodes[index];
      return { names, cursor: following === undefined ? null : `${index}|${nodeId(following)}|0` };
    },
    async swapKey(names, expected, next) {
      return (await client.eval(SWAP_SCRIPT, 1, names.key, expected, next)) === 1;
    },
  };
}
