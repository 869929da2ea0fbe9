import type { RedisSessionClient, RedisSessionNode } from '../../src/adapters/redis.js';

/** Keys starting with `prefix` on one node, by SCAN. */
async function countOn(node: RedisSessionNode, prefix: string): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    count += keys.length;
    cursor = next;
  } while (cursor !== '0');
  return count;
}

/** Keys starting with `prefix` on every master (or on the one server). */
export async function countKeys(client: RedisSessionClient, prefix: string): Promise<number> {
  const nodes = client.isCluster === true && client.nodes !== undefined ? client.nodes('master') : [client];
  const counts = await Promise.all(nodes.map((node) => countOn(node, prefix)));
  return counts.reduce((sum, count) => sum + count, 0);
}

/** Closes a client without waiting on a server that may be gone. */
export async function close(client: { quit(): Promise<unknown>; disconnect(): void }): Promise<void> {
  try {
    await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
  } catch {
    // already closed
  }
  client.disconnect();
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
