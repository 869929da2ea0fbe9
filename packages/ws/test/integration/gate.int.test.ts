import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ForbiddenError,
  SessionRevokedError,
  StoreUnavailableError,
  TooManySessionsError,
  UnauthenticatedError,
} from '@latchkey/errors';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { createUpgradeGate, type UpgradeGateOptions, type WsSession } from '../../src/index.js';

interface Id {
  readonly user: string;
}

interface Harness {
  readonly url: string;
  readonly server: Server;
  readonly leases: Array<{ controller: AbortController; released: boolean }>;
  readonly sessions: WsSession<Id>[];
  readonly gate: ReturnType<typeof createUpgradeGate<Id>>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function harness(options: Partial<UpgradeGateOptions<Id>> = {}): Promise<Harness> {
  const leases: Harness['leases'] = [];
  const sessions: WsSession<Id>[] = [];
  const gate = createUpgradeGate<Id>({
    verify: (token) => {
      if (token !== 'good') throw new UnauthenticatedError('invalid');
      return { user: 'alice' };
    },
    cookieName: 'auth',
    allowQuery: true,
    register: () => {
      const entry = { controller: new AbortController(), released: false };
      leases.push(entry);
      return {
        signal: entry.controller.signal,
        release: () => {
          entry.released = true;
        },
      };
    },
    onSession: (session) => {
      sessions.push(session);
      session.socket.on('message', (data) => session.sender.send(String(data)));
    },
    heartbeat: false,
    ...options,
  });
  const server = createServer((_request, response) => response.writeHead(404).end());
  server.on('upgrade', gate);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}/`, server, leases, sessions, gate };
}

interface Outcome {
  opened: boolean;
  status?: number;
  body?: unknown;
  headers?: IncomingMessage['headers'];
  closeCode?: number;
  messages: string[];
}

function open(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}) {
  const ws = new WebSocket(url, options);
  const outcome: Outcome = { opened: false, messages: [] };
  ws.on('error', () => undefined);
  ws.on('message', (data) => outcome.messages.push(String(data)));
  const done = new Promise<Outcome>((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate();
      resolve(outcome);
    }, 4_000);
    ws.once('open', () => {
      outcome.opened = true;
    });
    ws.once('close', (code) => {
      clearTimeout(timer);
      outcome.closeCode = code;
      resolve(outcome);
    });
    ws.once('unexpected-response', (_req, response) => {
      outcome.status = response.statusCode ?? 0;
      outcome.headers = response.headers;
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += String(chunk);
      });
      response.on('end', () => {
        clearTimeout(timer);
        outcome.body = JSON.parse(text);
        ws.terminate();
        resolve(outcome);
      });
    });
  });
  const opened = new Promise<void>((resolve) => {
    ws.once('open', () => resolve());
    ws.once('close', () => resolve());
    ws.once('unexpected-response', () => resolve());
  });
  return { ws, done, opened };
}

const bearer = { headers: { authorization: 'Bearer good' } };

describe('createUpgradeGate', () => {
  it('upgrades an authenticated request, holds the lease while open and releases it on close', async () => {
    const h = await harness();
    const client = open(h.url, bearer);
    await client.opened;
    expect(h.leases).toHaveLength(1);
    expect(h.leases[0]?.released).toBe(false);
    expect(h.sessions[0]?.source).toBe('header');
    expect(h.gate.sessions).toBe(1);
    client.ws.close();
    await client.done;
    await vi.waitFor(() => expect(h.leases[0]?.released).toBe(true));
    expect(h.gate.sessions).toBe(0);
  });

  it('refuses with a JSON body, the status and Connection: close before any 101', async () => {
    const h = await harness();
    const outcome = await open(h.url, { headers: { authorization: 'Bearer bad' } }).done;
    expect(outcome).toMatchObject({ opened: false, status: 401, body: { code: 'UNAUTHENTICATED' } });
    expect(outcome.headers?.connection).toBe('close');
    expect(outcome.headers?.['www-authenticate']).toBe('Bearer');
    expect(h.leases).toHaveLength(0);
  });

  it('propagates a store failure of verify as 503 without trying the next source', async () => {
    const verify = vi.fn(() => {
      throw new StoreUnavailableError('timeout');
    });
    const h = await harness({ verify });
    const outcome = await open(`${h.url}?token=good`, { headers: { authorization: 'Bearer other' } }).done;
    expect(outcome).toMatchObject({ status: 503, body: { code: 'STORE_UNAVAILABLE' } });
    expect(outcome.headers?.['retry-after']).toBe('1');
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('refuses with 403 from authorize, before any lease is opened', async () => {
    const h = await harness({
      authorize: () => {
        throw new ForbiddenError('insufficient-role');
      },
    });
    expect(await open(h.url, bearer).done).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect(h.leases).toHaveLength(0);
  });

  it('refuses with the register error (429)', async () => {
    const h = await harness({
      register: () => {
        throw new TooManySessionsError();
      },
    });
    expect(await open(h.url, bearer).done).toMatchObject({
      status: 429,
      body: { code: 'TOO_MANY_SESSIONS' },
    });
  });

  it('answers 500 INTERNAL, without detail, for an unexpected failure', async () => {
    const h = await harness({
      register: () => {
        throw new Error('secret detail');
      },
    });
    expect(await open(h.url, bearer).done).toMatchObject({
      status: 500,
      body: { code: 'INTERNAL', message: 'internal error' },
    });
  });

  it('answers 503 at the handshake deadline and releases a lease that arrives later', async () => {
    let resolveLease: (() => void) | undefined;
    let released = false;
    const h = await harness({
      handshakeTimeoutMs: 100,
      register: () =>
        new Promise((resolve) => {
          resolveLease = () =>
            resolve({
              signal: new AbortController().signal,
              release: () => {
                released = true;
              },
            });
        }),
    });
    const started = performance.now();
    const outcome = await open(h.url, bearer).done;
    expect(outcome).toMatchObject({ status: 503, body: { code: 'STORE_UNAVAILABLE' } });
    expect(performance.now() - started).toBeLessThan(1_000);
    resolveLease?.();
    await vi.waitFor(() => expect(released).toBe(true));
    expect(h.gate.sessions).toBe(0);
  });

  it('releases the lease of a client that left during registration, and opens no session', async () => {
    let resolveLease: (() => void) | undefined;
    let released = false;
    const h = await harness({
      register: () =>
        new Promise((resolve) => {
          resolveLease = () =>
            resolve({
              signal: new AbortController().signal,
              release: () => {
                released = true;
              },
            });
        }),
    });
    const client = open(h.url, bearer);
    await vi.waitFor(() => expect(resolveLease).toBeDefined());
    client.ws.terminate();
    await client.done;
    await new Promise((resolve) => setTimeout(resolve, 20));
    resolveLease?.();
    await vi.waitFor(() => expect(released).toBe(true));
    expect(h.sessions).toHaveLength(0);
  });

  it('refuses 401 when the lease is already revoked as the 101 would go out', async () => {
    const h = await harness({
      register: () => {
        const controller = new AbortController();
        controller.abort(new SessionRevokedError('logout'));
        return { signal: controller.signal, release: () => undefined };
      },
    });
    expect(await open(h.url, bearer).done).toMatchObject({ status: 401, body: { code: 'SESSION_REVOKED' } });
    expect(h.sessions).toHaveLength(0);
  });

  it('sends the error frame and closes 4401 when the lease is revoked after the upgrade', async () => {
    const h = await harness();
    const client = open(h.url, bearer);
    await client.opened;
    h.leases[0]?.controller.abort(new SessionRevokedError('logout'));
    const outcome = await client.done;
    expect(outcome.closeCode).toBe(4401);
    expect(outcome.messages.map((m) => JSON.parse(m))).toEqual([
      { type: 'error', code: 'SESSION_REVOKED', message: 'session revoked' },
    ]);
    expect(h.sessions[0]?.signal.aborted).toBe(true);
  });

  it('closes 1011 with an INTERNAL frame when onSession throws, and releases the lease', async () => {
    const h = await harness({
      onSession: () => {
        throw new Error('bug');
      },
    });
    const outcome = await open(h.url, bearer).done;
    expect(outcome.closeCode).toBe(1011);
    expect(outcome.messages.map((m) => JSON.parse(m))).toEqual([
      { type: 'error', code: 'INTERNAL', message: 'internal error' },
    ]);
    await vi.waitFor(() => expect(h.leases[0]?.released).toBe(true));
  });

  it('closes 1009 on a message over maxPayloadBytes', async () => {
    const h = await harness({ maxPayloadBytes: 1_024 });
    const client = open(h.url, bearer);
    await client.opened;
    client.ws.send('x'.repeat(1_024));
    await vi.waitFor(() => expect(client.ws.readyState === WebSocket.OPEN && true).toBe(true));
    client.ws.send('x'.repeat(1_025));
    const outcome = await client.done;
    expect(outcome.closeCode).toBe(1009);
    expect(outcome.messages).toEqual(['x'.repeat(1_024)]);
  });

  it('ends sessions with 1001 on shutdown and then refuses new upgrades', async () => {
    const shutdown = new AbortController();
    const h = await harness({ signal: shutdown.signal });
    const client = open(h.url, bearer);
    await client.opened;
    shutdown.abort();
    expect((await client.done).closeCode).toBe(1001);
    const late = await open(h.url, bearer).done;
    expect(late.opened).toBe(false);
  });

  it('terminates a peer that ignores the close frame after the grace period', async () => {
    const h = await harness({ closeGraceMs: 50 });
    const client = open(h.url, bearer);
    await client.opened;
    // A peer that stops reading never answers the close frame.
    (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    h.sessions[0]?.end(1000, 'done');
    await vi.waitFor(() => expect(h.leases[0]?.released).toBe(true), { timeout: 1_000 });
    client.ws.terminate();
  });
});
