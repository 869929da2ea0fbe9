import { connect as netConnect } from 'node:net';
import { fc } from '@fast-check/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { parseExecInit } from '../../src/console/ws-exec-protocol.js';
import {
  connect,
  cookieHeader,
  type ExecConsole,
  INIT,
  type Seen,
  startExecConsole,
  stdin,
} from '../ws-exec-support.js';

let consoles: ExecConsole[] = [];
afterEach(async () => {
  await Promise.all(consoles.map((c) => c.close()));
  consoles = [];
});
async function start(options: Parameters<typeof startExecConsole>[0] = {}): Promise<ExecConsole> {
  const c = await startExecConsole(options);
  consoles.push(c);
  return c;
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** Polls `condition` every 10 ms for at most `ms`. */
async function eventually(condition: () => boolean, ms = 2_000): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return condition();
}

/** Sends raw bytes, returns everything the server answered until it closed (bounded). */
function raw(host: string, request: string): Promise<string> {
  const [hostname, port] = host.split(':');
  return new Promise((resolve, reject) => {
    const socket = netConnect(Number(port), hostname);
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(text);
    }, 2_000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.write(request);
  });
}

function expectRefusal(seen: Seen, status: number, code: string): void {
  expect(seen.opened).toBe(false);
  expect(seen.status).toBe(status);
  expect(seen.body).toEqual({ code, message: expect.any(String) });
  expect(seen.connectionHeader).toBe('close');
}

describe('GET /ws/exec', () => {
  it('runs a session: exec_started, stdin echoed as stdout, exit N with the exact code and close 1000', async () => {
    const c = await start();
    const token = await c.login('alice', 'editor');
    const client = connect(c.wsUrl, bearer(token));
    expect(await client.opened).toBe(true);
    client.ws.send(INIT);
    expect(await client.next(0)).toEqual({ type: 'exec_started' });
    client.ws.send(stdin('echo hi\n'));
    expect(await client.next(1)).toEqual({ type: 'stdout', data: 'echo hi\n' });
    client.ws.send(JSON.stringify({ type: 'resize', cols: 120, rows: 40 }));
    client.ws.send(stdin('ex'));
    client.ws.send(stdin('it 201\n'));
    const seen = await client.closed;
    expect(seen.messages.slice(2)).toEqual([
      { type: 'stdout', data: 'ex' },
      { type: 'stdout', data: 'it 201\n' },
      { type: 'exit', exitCode: 201 },
    ]);
    expect(seen.closeCode).toBe(1000);
    expect(await eventually(() => c.registry.count('alice') === 0)).toBe(true);
  });

  it('authenticates by the cookie from the own origin and by ?token= without Origin', async () => {
    const c = await start();
    const token = await c.login('alice', 'admin');
    const byCookie = connect(c.wsUrl, {
      headers: { cookie: cookieHeader(token), origin: `http://${c.host}` },
    });
    expect(await byCookie.opened).toBe(true);
    const byQuery = connect(`${c.wsUrl}?token=${token}`);
    expect(await byQuery.opened).toBe(true);
    byCookie.ws.close();
    byQuery.ws.close();
    await Promise.all([byCookie.closed, byQuery.closed]);
  });

  it('refuses a cookie upgrade from a foreign Origin with 403 before the 101', async () => {
    const c = await start();
    const token = await c.login('alice', 'editor');
    const seen = await connect(c.wsUrl, {
      headers: { cookie: cookieHeader(token), origin: 'https://evil.example' },
    }).closed;
    expectRefusal(seen, 403, 'FORBIDDEN');
    expect(c.registry.count('alice')).toBe(0);
  });

  it('refuses Origin: null and a foreign Origin on ?token=, allows a listed origin', async () => {
    const c = await start({ allowedOriginsList: 'https://console.example.com' });
    const token = await c.login('alice', 'editor');
    expectRefusal(
      await connect(c.wsUrl, { headers: { cookie: cookieHeader(token), origin: 'null' } }).closed,
      403,
      'FORBIDDEN',
    );
    expectRefusal(
      await connect(`${c.wsUrl}?token=${token}`, { headers: { origin: 'https://evil.example' } }).closed,
      403,
      'FORBIDDEN',
    );
    const listed = connect(c.wsUrl, {
      headers: { cookie: cookieHeader(token), origin: 'https://Console.example.com' },
    });
    expect(await listed.opened).toBe(true);
    listed.ws.close();
    await listed.closed;
  });

  it('does not refuse a header-authenticated upgrade for its Origin', async () => {
    const c = await start();
    const token = await c.login('alice', 'editor');
    const client = connect(c.wsUrl, {
      headers: { authorization: `Bearer ${token}`, origin: 'https://evil.example' },
    });
    expect(await client.opened).toBe(true);
    client.ws.close();
    await client.closed;
  });

  it('answers 401 without credentials, 401 before 403 for a foreign Origin, 403 for a viewer', async () => {
    const c = await start();
    expectRefusal(await connect(c.wsUrl).closed, 401, 'UNAUTHENTICATED');
    expectRefusal(
      await connect(c.wsUrl, { headers: { cookie: cookieHeader('a.b.c'), origin: 'https://evil.example' } })
        .closed,
      401,
      'UNAUTHENTICATED',
    );
    const viewer = await c.login('victor', 'viewer');
    expectRefusal(await connect(c.wsUrl, bearer(viewer)).closed, 403, 'FORBIDDEN');
    expect(c.registry.count('victor')).toBe(0);
  });

  it('counts in the stream cap: one more than the cap is 429 TOO_MANY_SESSIONS', async () => {
    const c = await start({ maxLeasesPerUser: 2 });
    const token = await c.login('alice', 'editor');
    const first = connect(c.wsUrl, bearer(token));
    const second = connect(c.wsUrl, bearer(token));
    expect(await first.opened).toBe(true);
    expect(await second.opened).toBe(true);
    expectRefusal(await connect(c.wsUrl, bearer(token)).closed, 429, 'TOO_MANY_SESSIONS');
    first.ws.close();
    await first.closed;
    expect(await eventually(() => c.registry.count('alice') === 1, 1_000)).toBe(true);
    const third = connect(c.wsUrl, bearer(token));
    expect(await third.opened).toBe(true);
    second.ws.close();
    third.ws.close();
    await Promise.all([second.closed, third.closed]);
  });

  it('never reads ?token= on a plain GET that only claims Upgrade', async () => {
    const c = await start();
    const token = await c.login('alice', 'editor');
    const spoofed = await raw(
      c.host,
      `GET /ws/exec?token=${token} HTTP/1.1\r\nHost: ${c.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
    );
    expect(spoofed).toMatch(/^HTTP\/1\.1 400 /);
    expect(spoofed).toMatch(/connection: close/i);
    expect(spoofed).toContain('"code":"INVALID_REQUEST"');
    const noConnection = await raw(
      c.host,
      `GET /ws/exec?token=${token} HTTP/1.1\r\nHost: ${c.host}\r\nUpgrade: websocket\r\nConnection: close\r\n\r\n`,
    );
    expect(noConnection).toMatch(/^HTTP\/1\.1 404 /);
    const badVersion = await raw(
      c.host,
      `GET /ws/exec?token=${token} HTTP/1.1\r\nHost: ${c.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 8\r\n\r\n`,
    );
    expect(badVersion).toMatch(/^HTTP\/1\.1 400 /);
    expect(badVersion).toMatch(/sec-websocket-version: 13/i);
    const post = await raw(
      c.host,
      `POST /ws/exec?token=${token} HTTP/1.1\r\nHost: ${c.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n`,
    );
    expect(post).toMatch(/^HTTP\/1\.1 400 /);
    expect(c.verifyCalls()).toBe(0);
  });

  it('refuses an upgrade on another path with 404', async () => {
    const c = await start();
    const token = await c.login('alice', 'editor');
    const seen = await connect(`ws://${c.host}/api/events?token=${token}`).closed;
    expectRefusal(seen, 404, 'NOT_FOUND');
    expect(c.verifyCalls()).toBe(0);
  });

  it('closes 4408 when no exec_init arrives in time', async () => {
    const c = await start({ initTimeoutMs: 150 });
    const token = await c.login('alice', 'editor');
    const seen = await connect(c.wsUrl, bearer(token)).closed;
    expect(seen.opened).toBe(true);
    expect(seen.closeCode).toBe(4408);
    expect(seen.messages).toEqual([]);
  });

  it.each([
    ['an unknown member', { type: 'exec_init', namespace: 'a', pod: 'p', command: ['sh'], extra: 1 }],
    ['an upper-case namespace', { type: 'exec_init', namespace: 'Team', pod: 'p', command: ['sh'] }],
    ['an empty command', { type: 'exec_init', namespace: 'a', pod: 'p', command: [] }],
    ['a 4097-byte argument', { type: 'exec_init', namespace: 'a', pod: 'p', command: ['x'.repeat(4097)] }],
    ['cols 0', { type: 'exec_init', namespace: 'a', pod: 'p', command: ['sh'], cols: 0 }],
    ['stdin before init', { type: 'stdin', data: 'ls\n' }],
  ])('answers %s with an INVALID_REQUEST frame and 4400, starting nothing', async (_label, init) => {
    const c = await start();
    const token = await c.login('alice', 'editor');
    const client = connect(c.wsUrl, bearer(token));
    await client.opened;
    client.ws.send(JSON.stringify(init));
    const seen = await client.closed;
    expect(seen.messages).toEqual([{ type: 'error', code: 'INVALID_REQUEST', message: expect.any(String) }]);
    expect(seen.closeCode).toBe(4400);
  });

  it('refuses a duplicate member (also through an escape) and a binary init', async () => {
    const c = await start();
    const token = await c.login('alice', 'editor');
    for (const frame of [
      '{"type":"exec_init","namespace":"a","pod":"p","command":["sh"],"pod":"q"}',
      '{"type":"exec_init","namespace":"a","pod":"p","command":["sh"],"\\u0070od":"q"}',
      Buffer.from(INIT),
    ]) {
      const client = connect(c.wsUrl, bearer(token));
      await client.opened;
      client.ws.send(frame);
      const seen = await client.closed;
      expect(seen.messages).toEqual([
        { type: 'error', code: 'INVALID_REQUEST', message: expect.any(String) },
      ]);
      expect(seen.closeCode).toBe(4400);
    }
  });

  it('answers hostile exec_init values with 4400 and never exec_started', async () => {
    const c = await start();
    const token = await c.login('alice', 'editor');
    const valid = { type: 'exec_init', namespace: 'team-a', pod: 'web-0', command: ['sh'] };
    const hostile = fc.oneof(
      fc.record({ key: fc.constantFrom('namespace', 'pod', 'container'), value: fc.anything() }),
      fc.record({
        key: fc.constantFrom('command'),
        value: fc.oneof(fc.anything(), fc.array(fc.string(), { minLength: 65, maxLength: 70 })),
      }),
      fc.record({
        key: fc.constantFrom('cols', 'rows'),
        value: fc.oneof(fc.integer({ min: 1001 }), fc.integer({ max: 0 }), fc.double(), fc.string()),
      }),
      fc.record({ key: fc.string({ minLength: 1, maxLength: 8 }), value: fc.jsonValue() }),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async ({ key, value }) => {
        const init: Record<string, unknown> = { ...valid, [key]: value };
        const text = JSON.stringify(init);
        // Skip the rare draws that happen to be valid (a well-formed namespace, a legal tty, …).
        const legal =
          text !== undefined &&
          (() => {
            try {
              parseExecInit(text);
              return true;
            } catch {
              return false;
            }
          })();
        fc.pre(!legal);
        const client = connect(c.wsUrl, bearer(token));
        await client.opened;
        client.ws.send(text ?? 'undefined');
        const seen = await client.closed;
        expect(seen.messages).toEqual([
          { type: 'error', code: 'INVALID_REQUEST', message: expect.any(String) },
        ]);
        expect(seen.closeCode).toBe(4400);
      }),
      { numRuns: 40 },
    );
  });

  it('sends the exit frame and closes 1000 within 1 s while the client keeps sending and answering pings', async () => {
    const c = await start({ heartbeat: { intervalMs: 20, maxMissedPongs: 50 } });
    const token = await c.login('alice', 'editor');
    const client = connect(c.wsUrl, bearer(token));
    await client.opened;
    let pings = 0;
    client.ws.on('ping', () => {
      pings++;
    });
    client.ws.send(INIT);
    await client.next(0);
    const chatter = setInterval(() => {
      if (client.ws.readyState === WebSocket.OPEN) client.ws.send(stdin('y\n'));
    }, 5);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const sentAt = performance.now();
    client.ws.send(stdin('exit 42\n'));
    const seen = await client.closed;
    clearInterval(chatter);
    expect(pings).toBeGreaterThan(0);
    expect(seen.messages.at(-1)).toEqual({ type: 'exit', exitCode: 42 });
    expect(seen.closeCode).toBe(1000);
    expect((seen.closedAtMs ?? Number.POSITIVE_INFINITY) - sentAt).toBeLessThan(1_000);
  });

  it('ends a connection whose pongs stop, within the heartbeat bound', async () => {
    const c = await start({ heartbeat: { intervalMs: 50, maxMissedPongs: 3 } });
    const token = await c.login('alice', 'editor');
    const client = connect(c.wsUrl, { ...bearer(token), autoPong: false });
    await client.opened;
    client.ws.send(INIT);
    await client.next(0);
    const start_ = performance.now();
    const seen = await client.closed;
    // intervalMs × (maxMissedPongs + 1) = 200 ms, plus scheduling slack.
    expect((seen.closedAtMs ?? Number.POSITIVE_INFINITY) - start_).toBeLessThan(1_000);
    expect(seen.closeCode).toBe(1006);
    expect(await eventually(() => c.registry.count('alice') === 0)).toBe(true);
  });

  it('keeps a ponging client alive past the heartbeat bound', async () => {
    const c = await start({ heartbeat: { intervalMs: 30, maxMissedPongs: 2 } });
    const token = await c.login('alice', 'editor');
    const client = connect(c.wsUrl, bearer(token));
    await client.opened;
    client.ws.send(INIT);
    await client.next(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(client.seen.closeCode).toBeUndefined();
    client.ws.close();
    await client.closed;
  });

  it('stops reading a client that stops reading, then closes it', async () => {
    const c = await start({ sender: { highWaterMarkBytes: 65_536, stallTimeoutMs: 400 } });
    const token = await c.login('alice', 'editor');
    const client = connect(c.wsUrl, bearer(token), 10_000);
    await client.opened;
    client.ws.send(INIT);
    await client.next(0);
    // The client no longer reads: its receive buffer fills, then the server's, then `bufferedAmount`.
    const socket = (client.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    const chunk = stdin('z'.repeat(256 * 1024));
    // Write until the server stops reading (the client's own buffer grows), bounded at 256 MiB.
    let sent = 0;
    while (client.ws.bufferedAmount < 4 * 1024 * 1024 && sent < 1_024) {
      client.ws.send(chunk);
      sent++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(client.ws.bufferedAmount).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    expect(await eventually(() => c.registry.count('alice') === 0, 5_000)).toBe(true);
    expect(c.wsExec.sessions).toBe(0);
    client.ws.terminate();
  });

  it('closes 1009 on a message of 1 MiB + 1 and echoes one of exactly 1 MiB', async () => {
    const c = await start();
    const token = await c.login('alice', 'editor');
    const client = connect(c.wsUrl, bearer(token));
    await client.opened;
    client.ws.send(INIT);
    await client.next(0);
    const overhead = stdin('').length;
    const exact = stdin('a'.repeat(1_048_576 - overhead));
    expect(Buffer.byteLength(exact)).toBe(1_048_576);
    client.ws.send(exact);
    expect(await client.next(1)).toEqual({ type: 'stdout', data: 'a'.repeat(1_048_576 - overhead) });
    client.ws.send(stdin('a'.repeat(1_048_577 - overhead)));
    const seen = await client.closed;
    expect(seen.closeCode).toBe(1009);
  });

  it('ends a streaming session at logout: SESSION_REVOKED frame and 4401 within 1 s, counted in cancelled', async () => {
    const c = await start();
    const token = await c.login('alice', 'editor');
    const client = connect(c.wsUrl, bearer(token));
    await client.opened;
    client.ws.send(INIT);
    await client.next(0);
    const before = performance.now();
    const { status, cancelled } = await c.logout(token);
    const seen = await client.closed;
    expect(status).toBe(200);
    expect(cancelled).toBe(1);
    expect(seen.messages.at(-1)).toEqual({
      type: 'error',
      code: 'SESSION_REVOKED',
      message: expect.any(String),
    });
    expect(seen.closeCode).toBe(4401);
    expect((seen.closedAtMs ?? Number.POSITIVE_INFINITY) - before).toBeLessThan(1_000);
    // The revoked token opens nothing any more.
    expectRefusal(await connect(c.wsUrl, bearer(token)).closed, 401, 'UNAUTHENTICATED');
  });

  it('ends a session at logout before exec_init too', async () => {
    const c = await start();
    const token = await c.login('alice', 'editor');
    const client = connect(c.wsUrl, bearer(token));
    await client.opened;
    await c.logout(token);
    const seen = await client.closed;
    expect(seen.closeCode).toBe(4401);
  });

  it('refuses with 401 SESSION_REVOKED when the logout lands during the handshake, after registration', async () => {
    let c: ExecConsole | undefined;
    c = await start({
      afterRegister: (identity) => {
        c?.registry.cancelUser(identity.user);
      },
    });
    const token = await c.login('alice', 'editor');
    expectRefusal(await connect(c.wsUrl, bearer(token)).closed, 401, 'SESSION_REVOKED');
    expect(c.registry.count('alice')).toBe(0);
  });

  it('ends every session with 1001 when the endpoint closes', async () => {
    const c = await start();
    const token = await c.login('alice', 'editor');
    const client = connect(c.wsUrl, bearer(token));
    await client.opened;
    c.wsExec.close();
    expect((await client.closed).closeCode).toBe(1001);
  });
});
