import { once } from 'node:events';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SessionRevokedError } from '@latchkey/errors';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  authenticate,
  createEventStream,
  type EventStreamEndReason,
  errorToHttp,
  writeEventStream,
} from '../../src/index.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = http.createServer(handler);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function testLease() {
  const controller = new AbortController();
  let released = 0;
  const releasedAt: number[] = [];
  return {
    lease: {
      signal: controller.signal,
      release: () => {
        released += 1;
        releasedAt.push(Date.now());
      },
    },
    abort: (reason?: unknown) => controller.abort(reason),
    released: () => released,
    releasedAt,
  };
}

/** Polls `condition` every 10 ms for at most `timeoutMs`; returns whether it became true. */
async function eventually(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/** Opens a stream, resolves with the response once `until` matches what has arrived. */
function openStream(port: number, until: (text: string) => boolean) {
  return new Promise<{ res: IncomingMessage; text: () => string; request: http.ClientRequest }>(
    (resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port, path: '/events' }, (res) => {
        let text = '';
        let resolved = false;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (!resolved && until(text)) {
            resolved = true;
            resolve({ res, text: () => text, request });
          }
        });
        res.on('error', () => undefined);
      });
      request.on('error', reject);
      request.setTimeout(5000, () => reject(new Error('stream did not open')));
    },
  );
}

describe('writeEventStream over node:http', () => {
  it('releases the lease within 1 s of the client going away, and clears its timer', async () => {
    const state = testLease();
    let ended: Promise<EventStreamEndReason> | undefined;
    const port = await listen((_req, res) => {
      ended = writeEventStream(res, state.lease, { heartbeatMs: 50 });
    });
    const { request, text } = await openStream(port, (t) => t.includes('"seq":2'));
    expect(text()).toContain('event: heartbeat');
    const leftAt = Date.now();
    request.destroy();
    expect(await eventually(() => state.released() === 1, 1000)).toBe(true);
    expect((state.releasedAt[0] ?? Number.POSITIVE_INFINITY) - leftAt).toBeLessThan(1000);
    expect(await ended).toBe('client-gone');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(state.released()).toBe(1);
  });

  it('sends the end event with the code on abort, then closes', async () => {
    const state = testLease();
    const port = await listen((_req, res) => {
      void writeEventStream(res, state.lease, { heartbeatMs: 50 });
    });
    const { res, text } = await openStream(port, (t) => t.startsWith(':\n\n'));
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    state.abort(new SessionRevokedError('logout'));
    await Promise.race([once(res, 'end'), new Promise((resolve) => setTimeout(resolve, 1000))]);
    expect(res.complete).toBe(true);
    expect(text()).toMatch(/event: end\ndata: \{"code":"SESSION_REVOKED","message":"session revoked"\}\n\n$/);
    expect(state.released()).toBe(1);
  });

  it('releases the lease of a client that left before the answer started', async () => {
    const state = testLease();
    const ended = vi.fn<(reason: EventStreamEndReason) => void>();
    let handled: (() => void) | undefined;
    const handledOnce = new Promise<void>((resolve) => {
      handled = resolve;
    });
    const port = await listen((req, res) => {
      // The handler is slow (an auth round trip); the client is gone when it answers.
      req.socket.once('close', () => {
        void writeEventStream(res, state.lease, { heartbeatMs: 20, onEnd: ended }).then(() => handled?.());
      });
    });
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await Promise.race([handledOnce, new Promise((resolve) => setTimeout(resolve, 1000))]);
    expect(state.released()).toBe(1);
    expect(ended).toHaveBeenCalledWith('client-gone');
  });
});

describe('createEventStream bridged to node:http', () => {
  it('releases the lease within 1 s of the client going away, through the body being cancelled', async () => {
    const state = testLease();
    const port = await listen((_req, res) => {
      const response = createEventStream(state.lease, { heartbeatMs: 50 });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      // pipeline destroys the readable when res closes early, which cancels the web stream.
      pipeline(Readable.fromWeb(response.body as never), res).catch(() => undefined);
    });
    const { request } = await openStream(port, (t) => t.includes('"seq":1'));
    request.destroy();
    expect(await eventually(() => state.released() === 1, 1000)).toBe(true);
  });

  it('sends the end event on abort, then the body ends', async () => {
    const state = testLease();
    const port = await listen((_req, res) => {
      const response = createEventStream(state.lease, { heartbeatMs: 50 });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      pipeline(Readable.fromWeb(response.body as never), res).catch(() => undefined);
    });
    const { res, text } = await openStream(port, (t) => t.length > 0);
    state.abort(new SessionRevokedError('logout'));
    await Promise.race([once(res, 'end'), new Promise((resolve) => setTimeout(resolve, 1000))]);
    expect(res.complete).toBe(true);
    expect(text()).toContain('event: end\ndata: {"code":"SESSION_REVOKED"');
    expect(state.released()).toBe(1);
  });
});

describe('authenticate over node:http', () => {
  async function ask(head: string): Promise<number> {
    const port = await listen(async (req, res) => {
      try {
        await authenticate(req, { cookieName: 'latchkey_auth', verify: (token) => token });
        res.writeHead(200).end();
      } catch (error) {
        const { status, headers, body } = errorToHttp(error);
        res.writeHead(status, headers).end(body);
      }
    });
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${head}\r\n`);
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      reply += chunk;
    });
    await Promise.race([once(socket, 'end'), new Promise((resolve) => setTimeout(resolve, 2000))]);
    socket.destroy();
    return Number(reply.slice(9, 12));
  }

  it('answers 401 for two Authorization headers, which node:http would reduce to the first', async () => {
    expect(
      await ask('Authorization: Bearer aaa\r\nauthorization: Bearer bbb\r\nCookie: latchkey_auth=ccc\r\n'),
    ).toBe(401);
    expect(await ask('Authorization: Bearer aaa\r\nCookie: latchkey_auth=ccc\r\n')).toBe(200);
  });

  it('uses the first of several auth cookies and a Bearer scheme in any case', async () => {
    expect(await ask('Cookie: latchkey_auth=ccc; latchkey_auth="bad value"\r\n')).toBe(200);
    expect(await ask('Cookie: latchkey_auth="bad value"; latchkey_auth=ccc\r\n')).toBe(401);
    expect(await ask('Authorization: bEaReR    aaa\r\n')).toBe(200);
  });
});
