import { afterAll, describe, expect, it } from 'vitest';
import {
  FLAVORS,
  sendCommand,
  startCluster,
  startServer,
  type TestCluster,
  type TestServer,
} from '../../src/index.js';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.each(FLAVORS)('%s', (flavor) => {
  const cleanup: Array<TestServer | TestCluster> = [];
  afterAll(async () => {
    await Promise.all(cleanup.map((resource) => resource.stop()));
  });

  it('startServer answers PING on a loopback port and reports its own version', async () => {
    const server = await startServer({ flavor });
    cleanup.push(server);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(await sendCommand(server.port, ['PING'])).toBe('+PONG\r\n');
    const info = await sendCommand(server.port, ['INFO', 'server']);
    expect(info).toContain(flavor === 'redis' ? 'redis_version:7.' : 'valkey_version:8.');
  });

  it('kill() ends the process, restart() brings it back on the same port, stop() removes it by PID', async () => {
    const server = await startServer({ flavor });
    cleanup.push(server);
    const firstPid = server.pid;
    expect(firstPid).toBeTypeOf('number');
    await server.kill();
    expect(server.pid).toBeUndefined();
    expect(isRunning(firstPid as number)).toBe(false);
    await expect(sendCommand(server.port, ['PING'], 300)).rejects.toThrow();
    await server.restart();
    expect(await sendCommand(server.port, ['PING'])).toBe('+PONG\r\n');
    const secondPid = server.pid as number;
    await server.stop();
    expect(isRunning(secondPid)).toBe(false);
    await server.stop(); // idempotent
  });

  it('startCluster creates 3 masters that own all slots', async () => {
    const cluster = await startCluster({ flavor, masters: 3 });
    cleanup.push(cluster);
    expect(cluster.nodes).toHaveLength(3);
    expect(await cluster.masters()).toHaveLength(3);
    const info = await sendCommand(cluster.nodes[0]?.port as number, ['CLUSTER', 'INFO']);
    expect(info).toContain('cluster_state:ok');
    expect(info).toContain('cluster_slots_assigned:16384');
    const pids = cluster.nodes.map((node) => node.pid as number);
    await cluster.stop();
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
  });
});

describe('startCluster with replicas', () => {
  it('promotes a replica after its master is killed', async () => {
    const cluster = await startCluster({ flavor: 'redis', masters: 3, replicasPerMaster: 1 });
    try {
      expect(cluster.nodes).toHaveLength(6);
      const [victim] = await cluster.masters();
      await cluster.killMasterAndAwaitFailover(victim?.port as number);
      const masters = await cluster.masters();
      expect(masters).toHaveLength(3);
      expect(masters.map((m) => m.port)).not.toContain(victim?.port);
    } finally {
      await cluster.stop();
    }
  });
});
