import { createPublicKey } from 'node:crypto';
import {
  createKeyring,
  createSessionStore,
  type SessionStore,
  type SessionStoreDriver,
} from '@latchkey/keystore';
import { memoryDriver } from '@latchkey/keystore/memory';
import { createTargetMatcher } from '@latchkey/session-target';
import { createBootstrapIssuer, createSigningKeyCache } from '@latchkey/tokens';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type BootstrapKeys, bootstrapKeys, expectError, reachable, sleep } from '../../test/support.js';
import { sessionFingerprint } from '../fingerprint.js';
import { type LogFields, type Logger, silentLogger } from '../log.js';
import { createRouterApp, type RouterApp, type RouterDeps, SESSION_HEADER } from './app.js';
import { inProcessSandboxes, type SandboxLauncher } from './sandboxes.js';

const ISSUER = 'latchkey-router';
const AUDIENCE = 'latchkey-sandbox';
const base = 'http://127.0.0.1';
const invoke = (target = 'team-a/AgentRuntime/agent-1', path = 'whoami'): string =>
  `${base}/v1/namespaces/${target}/invoke/${path}`;

/** A gate that holds calls until opened. */
interface Gate {
  /** Holds every call from now on until `open()`. */
  close(): void;
  open(): void;
  /** Calls waiting at the gate, and the most ever seen waiting at once. */
  readonly waiting: number;
  readonly maxWaiting: number;
}

function gate(): Gate & { pass(): Promise<void> } {
  let held: Promise<void> | undefined;
  let release = (): void => undefined;
  let waiting = 0;
  let maxWaiting = 0;
  return {
    close() {
      held ??= new Promise<void>((resolve) => {
        release = resolve;
      });
    },
    open() {
      release();
      held = undefined;
    },
    async pass() {
      if (held === undefined) return;
      waiting++;
      maxWaiting = Math.max(maxWaiting, waiting);
      await held;
      waiting--;
    },
    get waiting() {
      return waiting;
    },
    get maxWaiting() {
      return maxWaiting;
    },
  };
}

/**
 * A memory driver that can be switched off, as a store that stops answering, and whose record reads
 * and writes can be held at a gate (to catch a sweep or a creation half-way).
 */
function switchableDriver(): {
  driver: SessionStoreDriver;
  down: (value: boolean) => void;
  reads: Gate;
  writes: Gate;
} {
  const inner = memoryDriver();
  let isDown = false;
  const reads = gate();
  const writes = gate();
  const refuse = (): Promise<never> =>
    Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }));
  const driver: SessionStoreDriver = {
    write: async (...args) => {
      await writes.pass();
      return isDown ? refuse() : inner.write(...args);
    },
    read: async (...args) => {
      await reads.pass();
      return isDown ? refuse() : inner.read(...args);
    },
    touch: (...args) => (isDown ? refuse() : inner.touch(...args)),
    delete: (...args) => (isDown ? refuse() : inner.delete(...args)),
    scan: (...args) => (isDown ? refuse() : inner.scan(...args)),
    swapKey: (...args) => (isDown ? refuse() : inner.swapKey(...args)),
  };
  return { driver, down: (value) => (isDown = value), reads, writes };
}

/** The router under test with in-process sandboxes, over `sessions`; `extra` overrides any dependency. */
function routerOver(
  keys: BootstrapKeys,
  sessions: SessionStore,
  extra: Partial<RouterDeps> = {},
): { app: RouterApp; sandboxes: SandboxLauncher } {
  const sandboxes = inProcessSandboxes({
    bootstrapPublicKey: createPublicKey(keys.privateKey),
    algorithm: 'RS256',
    issuer: ISSUER,
    audience: AUDIENCE,
    log: silentLogger,
  });
  const app = createRouterApp({
    sessions,
    signingKeys: createSigningKeyCache({
      max: 100,
      load: async (id) => {
        const key = await sessions.getPrivateKey(id);
        if (key === null) throw new Error('missing');
        return key;
      },
    }),
    bootstrap: createBootstrapIssuer({ privateKey: keys.privateKey, issuer: ISSUER, audience: AUDIENCE }),
    sandboxes,
    matcher: createTargetMatcher({ onSecurityEvent: () => undefined }),
    issuer: ISSUER,
    audience: AUDIENCE,
    log: silentLogger,
    ...extra,
  });
  return { app, sandboxes };
}

describe('createRouterApp', () => {
  const keys = bootstrapKeys();
  const store = switchableDriver();
  let sandboxes: SandboxLauncher;
  let app: RouterApp;

  beforeAll(() => {
    const sessions = createSessionStore({
      driver: store.driver,
      keyring: createKeyring({ current: 'k1', keys: { k1: new Uint8Array(32).fill(7) } }),
    });
    ({ app, sandboxes } = routerOver(keys, sessions));
  });
  afterAll(async () => {
    app.close();
    await sandboxes.stopAll();
  });

  const create = async (target?: string): Promise<string> => {
    const response = await app(new Request(invoke(target)));
    expect(response.status).toBe(200);
    const id = response.headers.get(SESSION_HEADER) ?? '';
    expect(await response.json()).toEqual({ sessionId: id });
    return id;
  };

  it('creates a session with its own sandbox and forwards; the session id comes back in x-latchkey-session', async () => {
    const before = sandboxes.size;
    const id = await create();
    expect(id).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(sandboxes.size).toBe(before + 1);
  });

  it('forwards method, body and query to /api/{path} on the same session', async () => {
    const id = await create();
    const echo = await app(
      new Request(invoke(undefined, 'echo?x=1'), {
        method: 'POST',
        headers: { [SESSION_HEADER]: id, 'content-type': 'application/json' },
        body: '{"n":42}',
      }),
    );
    expect(echo.status).toBe(200);
    expect(echo.headers.get(SESSION_HEADER)).toBe(id);
    expect(await echo.json()).toEqual({ n: 42 });
    const again = await app(new Request(invoke(), { headers: { [SESSION_HEADER]: id } }));
    expect(await again.json()).toEqual({ sessionId: id });
  });

  it('answers 409 SESSION_TARGET_MISMATCH when a session is reused against another namespace, name or kind', async () => {
    const id = await create();
    for (const target of [
      'team-b/AgentRuntime/agent-1',
      'team-a/AgentRuntime/agent-2',
      'team-a/CodeInterpreter/agent-1',
    ]) {
      await expectError(
        await app(new Request(invoke(target), { headers: { [SESSION_HEADER]: id } })),
        409,
        'SESSION_TARGET_MISMATCH',
      );
    }
  });

  it('answers 404 SESSION_NOT_FOUND for an unknown or impossible session id', async () => {
    for (const id of ['not a session', 'x'.repeat(200), '{tag}']) {
      await expectError(
        await app(new Request(invoke(), { headers: { [SESSION_HEADER]: id } })),
        404,
        'SESSION_NOT_FOUND',
      );
    }
    await expectError(
      await app(new Request(`${base}/v1/sessions/%7Bx%7D`, { method: 'DELETE' })),
      404,
      'SESSION_NOT_FOUND',
    );
    await expectError(
      await app(new Request(invoke(), { headers: { [SESSION_HEADER]: 'no-such-session' } })),
      404,
      'SESSION_NOT_FOUND',
    );
  });

  it('answers 400 INVALID_TARGET for a namespace or name that is not a DNS-1123 label', async () => {
    await expectError(await app(new Request(invoke('Team_A/AgentRuntime/agent-1'))), 400, 'INVALID_TARGET');
    await expectError(await app(new Request(invoke('team-a/AgentRuntime/-agent'))), 400, 'INVALID_TARGET');
    await expectError(await app(new Request(invoke('team-a/Agent-Runtime/agent'))), 400, 'INVALID_TARGET');
  });

  it('answers 400 INVALID_TARGET for a kind outside the allow-list, and creates nothing', async () => {
    const before = sandboxes.size;
    await expectError(await app(new Request(invoke('team-a/Deployment/agent-1'))), 400, 'INVALID_TARGET');
    await expectError(await app(new Request(invoke('team-a/agentruntime/agent-1'))), 400, 'INVALID_TARGET');
    expect(sandboxes.size).toBe(before);
  });

  it('serves CodeInterpreter, the other default kind', async () => {
    const response = await app(new Request(invoke('team-a/CodeInterpreter/agent-1')));
    expect(response.status).toBe(200);
    expect(response.headers.get(SESSION_HEADER)).toBeTruthy();
  });

  it('answers 413 PAYLOAD_TOO_LARGE past 64 KiB and creates nothing', async () => {
    const before = sandboxes.size;
    const response = await app(
      new Request(invoke(undefined, 'echo'), { method: 'POST', body: 'x'.repeat(65_537) }),
    );
    await expectError(response, 413, 'PAYLOAD_TOO_LARGE');
    expect(sandboxes.size).toBe(before);
  });

  it('deletes record and key together (204), stops the sandbox, then answers 404', async () => {
    const id = await create();
    const before = sandboxes.size;
    const deleted = await app(new Request(`${base}/v1/sessions/${id}`, { method: 'DELETE' }));
    expect(deleted.status).toBe(204);
    expect(sandboxes.size).toBe(before - 1);
    await expectError(
      await app(new Request(invoke(), { headers: { [SESSION_HEADER]: id } })),
      404,
      'SESSION_NOT_FOUND',
    );
    await expectError(
      await app(new Request(`${base}/v1/sessions/${id}`, { method: 'DELETE' })),
      404,
      'SESSION_NOT_FOUND',
    );
  });

  it('answers 503 STORE_UNAVAILABLE while the store is down, never forwarding, and recovers', async () => {
    const id = await create();
    store.down(true);
    try {
      const before = sandboxes.size;
      await expectError(
        await app(new Request(invoke(), { headers: { [SESSION_HEADER]: id } })),
        503,
        'STORE_UNAVAILABLE',
      );
      const created = await app(new Request(invoke()));
      await expectError(created, 503, 'STORE_UNAVAILABLE');
      expect(created.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(sandboxes.size).toBe(before);
      await expectError(
        await app(new Request(`${base}/v1/sessions/${id}`, { method: 'DELETE' })),
        503,
        'STORE_UNAVAILABLE',
      );
    } finally {
      store.down(false);
    }
    const again = await app(new Request(invoke(), { headers: { [SESSION_HEADER]: id } }));
    expect(again.status).toBe(200);
  });
});

interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly event: string;
  readonly fields: LogFields;
}

interface Fixture {
  readonly app: RouterApp;
  readonly sandboxes: SandboxLauncher;
  /** The shared store, used directly as another router (or the TTL) would change it. */
  readonly sessions: SessionStore;
  readonly store: ReturnType<typeof switchableDriver>;
  readonly logs: LogLine[];
  /** Moves the store's clock (record expiry) forward. */
  advance(ms: number): void;
}

describe('createRouterApp sweep of sandboxes whose session is gone from the store', () => {
  const keys = bootstrapKeys();
  const fixtures: Fixture[] = [];

  const fixture = (options: Pick<RouterDeps, 'sweepIntervalMs' | 'sweepConcurrency'>): Fixture => {
    const store = switchableDriver();
    let offset = 0;
    const now = (): number => Date.now() + offset;
    const sessions = createSessionStore({
      driver: store.driver,
      keyring: createKeyring({ current: 'k1', keys: { k1: new Uint8Array(32).fill(7) } }),
      now,
      // Reads are held at a gate for as long as a test needs; the store's own deadline must not fire.
      timeoutMs: 60_000,
    });
    const logs: LogLine[] = [];
    const log: Logger = {
      info: (event, fields = {}) => logs.push({ level: 'info', event, fields }),
      warn: (event, fields = {}) => logs.push({ level: 'warn', event, fields }),
      error: (event, fields = {}) => logs.push({ level: 'error', event, fields }),
    };
    const { app, sandboxes } = routerOver(keys, sessions, { log, now, ...options });
    const made: Fixture = { app, sandboxes, sessions, store, logs, advance: (ms) => (offset += ms) };
    fixtures.push(made);
    return made;
  };

  afterEach(async () => {
    for (const each of fixtures.splice(0)) {
      each.app.close();
      each.store.reads.open();
      each.store.writes.open();
      await each.sandboxes.stopAll();
    }
  });

  const create = async (app: RouterApp): Promise<string> => {
    const response = await app(new Request(invoke()));
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    return response.headers.get(SESSION_HEADER) ?? '';
  };
  const endpointOf = async (f: Fixture, id: string): Promise<string> => {
    const record = await f.sessions.getRecord(id);
    if (record === null) throw new Error('no record');
    return record.endpoint;
  };

  it('stops at the next sweep the sandbox of a session deleted from the store by another router, and keeps the others', async () => {
    const f = fixture({ sweepIntervalMs: 0 });
    const [gone, kept] = [await create(f.app), await create(f.app)];
    const endpoint = await endpointOf(f, gone);
    expect(await reachable(endpoint)).toBe(true);
    // What DELETE on another router does to the shared store.
    expect(await f.sessions.delete(gone)).toBe(true);
    expect(f.sandboxes.has(gone)).toBe(true);

    expect(await f.app.sweep()).toEqual({ checked: 2, stopped: 1, unanswered: 0 });
    expect(f.sandboxes.has(gone)).toBe(false);
    expect(f.sandboxes.has(kept)).toBe(true);
    expect(await reachable(endpoint)).toBe(false);
    expect(f.logs).toContainEqual({
      level: 'info',
      event: 'session-swept',
      fields: { session: sessionFingerprint(gone) },
    });
    const again = await f.app(new Request(invoke(), { headers: { [SESSION_HEADER]: kept } }));
    expect(await again.json()).toEqual({ sessionId: kept });
  });

  it('stops the sandbox of a session whose record expired in the store', async () => {
    const f = fixture({ sweepIntervalMs: 0 });
    const id = await create(f.app);
    expect(await f.app.sweep()).toEqual({ checked: 1, stopped: 0, unanswered: 0 });
    f.advance(3_600_000 + 1);
    expect(await f.app.sweep()).toEqual({ checked: 1, stopped: 1, unanswered: 0 });
    expect(f.sandboxes.has(id)).toBe(false);
  });

  it('stops nothing while the store cannot answer, logs it once per sweep, and stops the gone one once the store is back', async () => {
    const f = fixture({ sweepIntervalMs: 0, sweepConcurrency: 2 });
    const ids = [await create(f.app), await create(f.app), await create(f.app)];
    const [gone] = ids;
    if (gone === undefined) throw new Error('no session');
    await f.sessions.delete(gone);
    f.store.down(true);
    try {
      for (let sweep = 1; sweep <= 2; sweep++) {
        expect(await f.app.sweep()).toEqual({ checked: 0, stopped: 0, unanswered: 3 });
        expect(ids.map((id) => f.sandboxes.has(id))).toEqual([true, true, true]);
        const logged = f.logs.filter((line) => line.event === 'store-unavailable');
        expect(logged).toHaveLength(sweep);
        expect(logged[sweep - 1]).toMatchObject({
          level: 'warn',
          fields: { during: 'sweep', unanswered: 3, code: 'STORE_UNAVAILABLE', reason: 'connection' },
        });
      }
    } finally {
      f.store.down(false);
    }
    expect(await f.app.sweep()).toEqual({ checked: 3, stopped: 1, unanswered: 0 });
    expect(ids.map((id) => f.sandboxes.has(id))).toEqual([false, true, true]);
  });

  it('answers a forward for a session gone from the store with 404 SESSION_NOT_FOUND and stops its sandbox at once', async () => {
    const f = fixture({ sweepIntervalMs: 0 });
    const id = await create(f.app);
    const endpoint = await endpointOf(f, id);
    await f.sessions.delete(id);
    await expectError(
      await f.app(new Request(invoke(), { headers: { [SESSION_HEADER]: id } })),
      404,
      'SESSION_NOT_FOUND',
    );
    expect(f.sandboxes.has(id)).toBe(false);
    expect(await reachable(endpoint)).toBe(false);
    expect(f.logs).toContainEqual({
      level: 'info',
      event: 'session-gone',
      fields: { session: sessionFingerprint(id) },
    });
  });

  it('keeps the sandbox and answers 503 STORE_UNAVAILABLE to a forward while the store cannot answer', async () => {
    const f = fixture({ sweepIntervalMs: 0 });
    const id = await create(f.app);
    f.store.down(true);
    try {
      await expectError(
        await f.app(new Request(invoke(), { headers: { [SESSION_HEADER]: id } })),
        503,
        'STORE_UNAVAILABLE',
      );
    } finally {
      f.store.down(false);
    }
    expect(f.sandboxes.has(id)).toBe(true);
  });

  it('sweeps on its own every sweepIntervalMs', async () => {
    const f = fixture({ sweepIntervalMs: 20 });
    const id = await create(f.app);
    await f.sessions.delete(id);
    await vi.waitFor(() => expect(f.sandboxes.has(id)).toBe(false), { timeout: 5_000, interval: 10 });
  });

  it('never runs two sweeps at once: a tick during a sweep is skipped, a call joins it', async () => {
    const f = fixture({ sweepIntervalMs: 10 });
    const id = await create(f.app);
    await f.sessions.delete(id);
    f.store.reads.close();
    await vi.waitFor(() => expect(f.store.reads.waiting).toBe(1), { timeout: 5_000, interval: 5 });
    const joined = f.app.sweep();
    // Ten ticks' worth of time: with a second sweep allowed, a second read would be waiting.
    await sleep(100);
    expect(f.store.reads.maxWaiting).toBe(1);
    f.store.reads.open();
    expect(await joined).toEqual({ checked: 1, stopped: 1, unanswered: 0 });
    expect(f.sandboxes.has(id)).toBe(false);
  });

  it('reads at most sweepConcurrency records at once', async () => {
    const f = fixture({ sweepIntervalMs: 0, sweepConcurrency: 2 });
    for (let i = 0; i < 5; i++) await create(f.app);
    f.store.reads.close();
    const sweep = f.app.sweep();
    await vi.waitFor(() => expect(f.store.reads.waiting).toBe(2), { timeout: 5_000, interval: 5 });
    await sleep(20);
    expect(f.store.reads.waiting).toBe(2);
    f.store.reads.open();
    expect(await sweep).toEqual({ checked: 5, stopped: 0, unanswered: 0 });
    expect(f.store.reads.maxWaiting).toBe(2);
  });

  it('never stops the sandbox of a session still being created (its record is not written yet)', async () => {
    const f = fixture({ sweepIntervalMs: 0 });
    f.store.writes.close();
    const creating = f.app(new Request(invoke()));
    await vi.waitFor(() => expect(f.store.writes.waiting).toBe(1), { timeout: 5_000, interval: 5 });
    expect(f.sandboxes.size).toBe(1);
    expect(await f.app.sweep()).toEqual({ checked: 0, stopped: 0, unanswered: 0 });
    f.store.writes.open();
    const response = await creating;
    expect(response.status).toBe(200);
    const id = response.headers.get(SESSION_HEADER) ?? '';
    expect(await response.json()).toEqual({ sessionId: id });
    expect(f.sandboxes.has(id)).toBe(true);
  });

  it('stops sweeping once closed, and the app keeps answering', async () => {
    const f = fixture({ sweepIntervalMs: 10 });
    const id = await create(f.app);
    f.app.close();
    await f.sessions.delete(id);
    expect(await f.app.sweep()).toEqual({ checked: 0, stopped: 0, unanswered: 0 });
    expect(f.sandboxes.has(id)).toBe(true);
    await expectError(
      await f.app(new Request(invoke(), { headers: { [SESSION_HEADER]: id } })),
      404,
      'SESSION_NOT_FOUND',
    );
  });

  it('refuses a sweep interval or concurrency that is not a whole number in range with a TypeError', () => {
    for (const options of [
      { sweepIntervalMs: -1 },
      { sweepIntervalMs: 1.5 },
      { sweepIntervalMs: Number.NaN },
      { sweepIntervalMs: 2 ** 31 },
      { sweepConcurrency: 0 },
      { sweepConcurrency: 2.5 },
    ]) {
      expect(() => fixture(options)).toThrow(TypeError);
    }
  });
});
