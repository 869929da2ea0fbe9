import { binariesOf, requireBinary, run, type ServerFlavor } from './process.js';
import { sendCommand, waitUntil } from './resp.js';
import { startServer, type TestServer } from './server.js';

/** Options for {@link startCluster}. */
export interface StartClusterOptions {
  readonly flavor: ServerFlavor;
  /** Number of masters; the 16384 slots are split between them. Default 3. */
  readonly masters?: number;
  /** Replicas per master, for failover tests. Default 0. */
  readonly replicasPerMaster?: number;
}

/** A host and port, as cluster clients take their startup nodes. */
export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

/** A throw-away cluster of server processes on loopback. */
export interface TestCluster {
  readonly flavor: ServerFlavor;
  /** Every node, masters and replicas, in start order. */
  readonly nodes: readonly TestServer[];
  /** Addresses of every node, to hand to a cluster client. */
  readonly startupNodes: readonly NodeAddress[];
  /** The nodes that are masters now (this changes after a failover). */
  masters(): Promise<NodeAddress[]>;
  /** The test server listening on `port`. */
  node(port: number): TestServer;
  /** Waits until every live node reports `cluster_state:ok` with all slots assigned. */
  waitForHealthy(timeoutMs?: number): Promise<void>;
  /**
   * Kills the master on `port` with SIGKILL, as a crash would, and waits until a replica has taken
   * over its slots and the cluster is healthy again. Needs `replicasPerMaster >= 1`.
   */
  killMasterAndAwaitFailover(port: number, timeoutMs?: number): Promise<void>;
  /** Stops every node by PID and removes their data. Idempotent. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/**
 * Starts a Redis or Valkey cluster (`--cluster-enabled yes`), created with
 * `redis-cli --cluster create` / `valkey-cli --cluster create`, and waits until its state is ok.
 *
 * @example
 * ```ts
 * const cluster = await startCluster({ flavor: 'redis', masters: 3 });
 * const client = new Cluster(cluster.startupNodes);
 * // … tests …
 * await client.quit();
 * await cluster.stop();
 * ```
 */
export async function startCluster(options: StartClusterOptions): Promise<TestCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 0;
  if (masters < 3) throw new TypeError('a cluster needs at least 3 masters');
  const cli = requireBinary(binariesOf(options.flavor).cli);
  const total = masters * (1 + replicas);

  const started = await Promise.allSettled(
    Array.from({ length: total }, () => startServer({ flavor: options.flavor, clusterEnabled: true })),
  );
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  const failure = started.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await stop();
    throw failure.reason;
  }

  const liveNodes = (): TestServer[] => nodes.filter((node) => node.pid !== undefined);
  const waitForHealthy = async (timeoutMs = 30_000): Promise<void> => {
    await waitUntil(
      `${options.flavor} cluster state ok`,
      async () => {
        for (const node of liveNodes()) {
          const info = await sendCommand(node.port, ['CLUSTER', 'INFO']);
          if (!info.includes('cluster_state:ok') || !info.includes('cluster_slots_ok:16384')) return false;
        }
        return true;
      },
      timeoutMs,
      100,
    );
  };

  try {
    await run(cli, [
      '--cluster',
      'create',
      ...nodes.map((node) => `${HOST}:${node.port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    await waitForHealthy();
    if (replicas > 0) {
      // A replica can only take over once it has synced with its master.
      await waitUntil(
        'replicas in sync',
        async () => {
          for (const node of nodes) {
            const info = await sendCommand(node.port, ['INFO', 'replication']);
            if (info.includes('role:slave') && !info.includes('master_link_status:up')) return false;
          }
          return true;
        },
        30_000,
        100,
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const cluster: TestCluster = {
    flavor: options.flavor,
    nodes,
    startupNodes: nodes.map((node) => ({ host: HOST, port: node.port })),
    async masters() {
      for (const node of liveNodes()) {
        try {
          return parseMasters(await sendCommand(node.port, ['CLUSTER', 'NODES']));
        } catch {
          // this node is down or busy; ask the next one
        }
      }
      throw new Error('no live cluster node answered CLUSTER NODES');
    },
    node(port) {
      const found = nodes.find((node) => node.port === port);
      if (found === undefined) throw new Error(`no cluster node on port ${port}`);
      return found;
    },
    waitForHealthy,
    async killMasterAndAwaitFailover(port, timeoutMs = 30_000) {
      await cluster.node(port).kill();
      await waitUntil(
        `failover of the master on port ${port}`,
        async () => {
          const current = await cluster.masters();
          return current.length === masters && current.every((address) => address.port !== port);
        },
        timeoutMs,
        100,
      );
      await waitForHealthy(timeoutMs);
    },
    stop,
  };
  return cluster;
}

/** Masters that are not marked failed, from a CLUSTER NODES reply. */
function parseMasters(reply: string): NodeAddress[] {
  const addresses: NodeAddress[] = [];
  for (const line of reply.split('\n')) {
    const fields = line.trim().split(' ');
    const flags = fields[2]?.split(',') ?? [];
    if (!flags.includes('master') || flags.includes('fail') || flags.includes('fail?')) continue;
    // address looks like 127.0.0.1:30001@40001
    const match = /^([^:]+):(\d+)@/.exec(fields[1] ?? '');
    if (match?.[1] !== undefined && match[2] !== undefined)
      addresses.push({ host: match[1], port: Number(match[2]) });
  }
  return addresses;
}
