import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConsoleConfig, readRouterConfig } from '../../src/config.js';
import { buildConsole } from '../../src/console/server.js';
import { sessionFingerprint } from '../../src/fingerprint.js';
import { type Listening, listen } from '../../src/listen.js';
import { createLogger, silentLogger } from '../../src/log.js';
import type { Built } from '../../src/main.js';
import { json } from '../../src/respond.js';
import { buildRouter } from '../../src/router/server.js';
import { createSandboxServer, type SandboxServer } from '../../src/sandbox/server.js';
import { bearer, bootstrapKeys, expectError, rawClient, sleep } from '../support.js';

const INVOKE = '/v1/namespaces/team-a/AgentRuntime/agent-1/invoke';

/** One request by node:http (which, unlike fetch, sends TRACE and repeated headers), body read. */
function send(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string | string[]>;
    localAddress?: string;
    body?: string;
  } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.end(options.body);
  });
}

function expectRefusal(
  answer: { status: number; headers: IncomingHttpHeaders; body: string },
  status: number,
  code: string,
): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(JSON.parse(answer.body)).toEqual({ code, message: expect.any(String) });
}

/** A server of each kind, in process, over real HTTP on loopback. */
interface Servers {
  router: Listening & { built: Built };
  console_: Listening & { built: Built };
  sandbox: SandboxServer;
}

async function startAll(): Promise<Servers> {
  const keys = bootstrapKeys();
  const routerBuilt = await buildRouter(readRouterConfig({}), silentLogger, { sweepIntervalMs: 0 });
  const consoleBuilt = await buildConsole(readConsoleConfig({}), silentLogger);
  const [router, console_, sandbox] = await Promise.all([
    listen(routerBuilt.app, { port: 0, log: silentLogger }),
    listen(consoleBuilt.app, { port: 0, log: silentLogger }),
    createSandboxServer({
      bootstrapPublicKey: keys.publicKey,
      issuer: 'latchkey-router',
      audience: 'latchkey-sandbox',
    }),
  ]);
  return {
    router: Object.assign(router, { built: routerBuilt }),
    console_: Object.assign(console_, { built: consoleBuilt }),
    sandbox,
  };
}

async function stopAll(servers: Servers | undefined): Promise<void> {
  if (servers === undefined) return;
  servers.router.built.stop();
  servers.console_.built.stop();
  await Promise.all([servers.router.close(100), servers.console_.close(100), servers.sandbox.close()]);
  await Promise.all([servers.router.built.close(), servers.console_.built.close()]);
}

describe('listen: connection bounds (issue 10, finding 4: slow clients)', () => {
  let server: Listening;
  beforeAll(async () => {
    server = await listen(async (request) => json(200, { read: (await request.text()).length }), {
      port: 0,
      log: silentLogger,
      headersTimeoutMs: 400,
      requestTimeoutMs: 800,
      keepAliveTimeoutMs: 300,
    });
  });
  afterAll(() => server.close(100));

  it('answers 408 REQUEST_TIMEOUT (JSON) and closes a client trickling its headers past the bound', async () => {
    const client = await rawClient(server.port);
    const started = Date.now();
    const line = 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ';
    let i = 0;
    const trickle = setInterval(() => client.send(line[i++ % line.length] ?? 'a'), 50);
    try {
      const closedAt = await client.closed;
      expect(closedAt - started).toBeGreaterThanOrEqual(350);
      expect(closedAt - started).toBeLessThan(1_500);
      const text = client.received();
      expect(text.startsWith('HTTP/1.1 408 ')).toBe(true);
      expect(text).toMatch(/content-type: application\/json/i);
      expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({
        code: 'REQUEST_TIMEOUT',
        message: 'request timeout',
      });
    } finally {
      clearInterval(trickle);
      client.destroy();
    }
  });

  it('answers 408 and closes a body that does not arrive within the request bound', async () => {
    const client = await rawClient(server.port);
    const started = Date.now();
    client.send('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n');
    const trickle = setInterval(() => client.send('a'), 50);
    try {
      const closedAt = await client.closed;
      expect(closedAt - started).toBeGreaterThanOrEqual(700);
      expect(closedAt - started).toBeLessThan(2_000);
      expect(client.received()).toMatch(/^HTTP\/1\.1 408 [\s\S]*"code":"REQUEST_TIMEOUT"/);
    } finally {
      clearInterval(trickle);
      client.destroy();
    }
  });

  it('serves a request that arrives in time, then closes the idle keep-alive connection after its bound', async () => {
    const client = await rawClient(server.port);
    client.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const answeredAt = Date.now();
    const closedAt = await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 [\s\S]*\{"read":0\}$/);
    expect(closedAt - answeredAt).toBeGreaterThanOrEqual(250);
    expect(closedAt - answeredAt).toBeLessThan(1_500);
  });

  it('uses the contract bounds by default: 30 s for headers, 60 s for the request, 5 s keep-alive', async () => {
    const plain = await listen(async () => json(200, {}), { port: 0, log: silentLogger });
    try {
      expect([
        plain.server.headersTimeout,
        plain.server.requestTimeout,
        plain.server.keepAliveTimeout,
      ]).toEqual([30_000, 60_000, 5_000]);
    } finally {
      await plain.close(100);
    }
  });
});

describe('listen: a client that leaves before the answer starts (issue 10, finding 2)', () => {
  it('cancels the body the app answers after the client went away, so its stream ends', async () => {
    let cancelled = 0;
    let ticks = 0;
    const server = await listen(
      async () => {
        await sleep(200);
        let timer: NodeJS.Timeout | undefined;
        return new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              timer = setInterval(() => {
                ticks++;
                controller.enqueue(new TextEncoder().encode('tick\n'));
              }, 20);
            },
            cancel() {
              clearInterval(timer);
              cancelled++;
            },
          }),
        );
      },
      { port: 0, log: silentLogger },
    );
    try {
      for (let i = 0; i < 5; i++) {
        const client = await rawClient(server.port);
        client.send('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
        await sleep(20);
        client.destroy();
      }
      await expect.poll(() => cancelled, { timeout: 2_000, interval: 20 }).toBe(5);
      const after = ticks;
      await sleep(100);
      expect(ticks).toBe(after);
    } finally {
      await server.close(100);
    }
  });
});

describe('the three servers: methods, CORS and Authorization (DESIGN "Rules for all three servers")', () => {
  let servers: Servers | undefined;
  beforeAll(async () => {
    servers = await startAll();
  });
  afterAll(() => stopAll(servers));

  const urls = (): [string, string][] => [
    ['router', `${servers?.router.url}${INVOKE}/whoami`],
    ['console', `${servers?.console_.url}/api/events`],
    ['sandbox', `${servers?.sandbox.url}/api/whoami`],
  ];

  it('answers OPTIONS and TRACE with 405 METHOD_NOT_ALLOWED and no data, on every server', async () => {
    for (const [, url] of urls()) {
      for (const method of ['OPTIONS', 'TRACE']) {
        const answer = await send(url, {
          method,
          headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
        });
        expectRefusal(answer, 405, 'METHOD_NOT_ALLOWED');
        expect(answer.body).not.toContain('evil');
      }
    }
  });

  it('sends no CORS header, whatever the Origin', async () => {
    for (const [, url] of urls()) {
      const answer = await send(url, { headers: { origin: 'https://evil.example' } });
      expect(Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
  });

  it('answers two Authorization headers with 401, even beside a valid cookie', async () => {
    const login = await fetch(`${servers?.console_.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'alice', role: 'editor' }),
    });
    const { token } = (await login.json()) as { token: string };
    const twice = { authorization: [`Bearer ${token}`, `Bearer ${token}`] };
    const console_ = `${servers?.console_.url}/api/gitops/detect-drift`;
    const body = JSON.stringify({ repo: 'r', path: 'p' });
    const headers = { 'content-type': 'application/json' };
    // The same request with one header is accepted: only the repetition is refused.
    expect(
      (await send(console_, { method: 'POST', headers: { ...headers, ...bearer(token) }, body })).status,
    ).toBe(202);
    expectRefusal(
      await send(console_, {
        method: 'POST',
        headers: { ...headers, ...twice, cookie: `latchkey_auth=${token}` },
        body,
      }),
      401,
      'UNAUTHENTICATED',
    );
    expectRefusal(
      await send(`${servers?.router.url}${INVOKE}/whoami`, { headers: twice }),
      401,
      'UNAUTHENTICATED',
    );
    expectRefusal(
      await send(`${servers?.sandbox.url}/api/whoami`, {
        headers: { authorization: ['Bearer a', 'Bearer b'] },
      }),
      401,
      'INVALID_SESSION_TOKEN',
    );
  });
});

describe('router: bounds on live sessions (issue 10, finding 3: session floods)', () => {
  const start = async (env: Record<string, string>): Promise<Listening & { built: Built }> => {
    const built = await buildRouter(readRouterConfig(env), silentLogger, { sweepIntervalMs: 0 });
    return Object.assign(await listen(built.app, { port: 0, log: silentLogger }), { built });
  };
  const stop = async (router: Listening & { built: Built }): Promise<void> => {
    router.built.stop();
    await router.close(100);
    await router.built.close();
  };

  it('creates 100 sessions for one client, answers the next 50 with 429 TOO_MANY_SESSIONS, and frees a slot on DELETE at once', async () => {
    const router = await start({});
    try {
      const statuses: number[] = [];
      const ids: string[] = [];
      let left = 150;
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          while (left-- > 0) {
            const answer = await send(`${router.url}${INVOKE}/whoami`);
            statuses.push(answer.status);
            if (answer.status === 200) ids.push(String(answer.headers['x-latchkey-session']));
            else {
              expectRefusal(answer, 429, 'TOO_MANY_SESSIONS');
              expect(answer.headers['retry-after']).toMatch(/^\d+$/);
            }
          }
        }),
      );
      expect(statuses.filter((status) => status === 200)).toHaveLength(100);
      expect(statuses.filter((status) => status === 429)).toHaveLength(50);
      // Another client is not held back by this one.
      expect((await send(`${router.url}${INVOKE}/whoami`, { localAddress: '127.0.0.2' })).status).toBe(200);
      expect((await send(`${router.url}/v1/sessions/${ids[0]}`, { method: 'DELETE' })).status).toBe(204);
      expect((await send(`${router.url}${INVOKE}/whoami`)).status).toBe(200);
      expect((await send(`${router.url}${INVOKE}/whoami`)).status).toBe(429);
    } finally {
      await stop(router);
    }
  });

  it('answers 503 CAPACITY_EXHAUSTED with Retry-After beyond LATCHKEY_MAX_SESSIONS, and 404 to an unknown DELETE', async () => {
    const router = await start({ LATCHKEY_MAX_SESSIONS: '3', LATCHKEY_MAX_SESSIONS_PER_CLIENT: '2' });
    try {
      const first = await send(`${router.url}${INVOKE}/whoami`);
      expect((await send(`${router.url}${INVOKE}/whoami`)).status).toBe(200);
      expectRefusal(await send(`${router.url}${INVOKE}/whoami`), 429, 'TOO_MANY_SESSIONS');
      expect((await send(`${router.url}${INVOKE}/whoami`, { localAddress: '127.0.0.2' })).status).toBe(200);
      const full = await send(`${router.url}${INVOKE}/whoami`, { localAddress: '127.0.0.3' });
      expectRefusal(full, 503, 'CAPACITY_EXHAUSTED');
      expect(Number(full.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      const id = String(first.headers['x-latchkey-session']);
      expect((await send(`${router.url}/v1/sessions/${id}`, { method: 'DELETE' })).status).toBe(204);
      expectRefusal(
        await send(`${router.url}/v1/sessions/${id}`, { method: 'DELETE' }),
        404,
        'SESSION_NOT_FOUND',
      );
      expectRefusal(
        await send(`${router.url}/v1/sessions/AAAAAAAAAAAAAAAAAAAAAA`, { method: 'DELETE' }),
        404,
        'SESSION_NOT_FOUND',
      );
      expect((await send(`${router.url}${INVOKE}/whoami`, { localAddress: '127.0.0.3' })).status).toBe(200);
    } finally {
      await stop(router);
    }
  });

  it('refuses a bound that is not a positive integer at start', () => {
    expect(() => readRouterConfig({ LATCHKEY_MAX_SESSIONS: '0' })).toThrow(TypeError);
    expect(() => readRouterConfig({ LATCHKEY_MAX_SESSIONS_PER_CLIENT: '1.5' })).toThrow(TypeError);
    expect(readRouterConfig({})).toMatchObject({ maxSessions: 1_000, maxSessionsPerClient: 100 });
  });
});

describe('router: logs (issue 10, finding 6: bearer material in logs)', () => {
  it('never logs a session id through a whole session lifecycle, only its keyed fingerprint', async () => {
    const lines: string[] = [];
    const log = createLogger({ name: 'router', sink: { write: (line) => lines.push(line) } });
    const built = await buildRouter(readRouterConfig({}), log, { sweepIntervalMs: 0 });
    const router = await listen(built.app, { port: 0, log });
    try {
      const created = await fetch(`${router.url}${INVOKE}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      });
      const id = created.headers.get('x-latchkey-session') ?? '';
      expect(created.status).toBe(200);
      await created.arrayBuffer();
      const headers = { 'x-latchkey-session': id };
      expect((await fetch(`${router.url}${INVOKE}/whoami`, { headers })).status).toBe(200);
      await expectError(
        await fetch(`${router.url}/v1/namespaces/team-b/AgentRuntime/agent-1/invoke/whoami`, { headers }),
        409,
        'SESSION_TARGET_MISMATCH',
      );
      expect((await fetch(`${router.url}/v1/sessions/${id}`, { method: 'DELETE' })).status).toBe(204);
      await expectError(await fetch(`${router.url}${INVOKE}/whoami`, { headers }), 404, 'SESSION_NOT_FOUND');
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const about = (event: string): Record<string, unknown>[] =>
        entries.filter((entry) => entry.event === event);
      const fingerprint = sessionFingerprint(id);
      expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
      for (const event of ['session-created', 'initialized', 'session-deleted', 'security']) {
        expect(about(event).map((entry) => entry.session)).toContain(fingerprint);
      }
      expect(lines.join('')).not.toContain(id);
      expect(lines.join('')).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
    } finally {
      built.stop();
      await router.close(100);
      await built.close();
    }
  });
});
