import { afterEach, describe, expect, it } from 'vitest';
import { readConsoleConfig } from '../../src/config.js';
import { buildConsole, type ConsoleOptions } from '../../src/console/server.js';
import { type Listening, listen } from '../../src/listen.js';
import { silentLogger } from '../../src/log.js';
import type { Built } from '../../src/main.js';
import { bearer, expectError, rawClient, readUntil, sleep } from '../support.js';

type Console = Listening & { built: Built };
let running: Console[] = [];

async function startConsole(
  env: Record<string, string> = {},
  options: ConsoleOptions = {},
): Promise<Console> {
  const built = await buildConsole(readConsoleConfig(env), silentLogger, {
    streamIntervalMs: 200,
    ...options,
  });
  const server = Object.assign(await listen(built.app, { port: 0, log: silentLogger }), { built });
  running.push(server);
  return server;
}

afterEach(async () => {
  const all = running;
  running = [];
  for (const server of all) {
    server.built.stop();
    await server.close(100);
    await server.built.close();
  }
});

async function login(
  console_: Console,
  user: string,
  role: string,
): Promise<{ token: string; cookie: string }> {
  const response = await fetch(`${console_.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, role }),
  });
  expect(response.status).toBe(200);
  const { token } = (await response.json()) as { token: string };
  return { token, cookie: response.headers.get('set-cookie') ?? '' };
}

/** Opens a stream and reads its first chunk; the caller closes it. */
async function open(console_: Console, path: string, token: string): Promise<{ close(): Promise<void> }> {
  const controller = new AbortController();
  const response = await fetch(`${console_.url}${path}`, {
    headers: bearer(token),
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const reader = response.body?.getReader();
  if (reader === undefined) throw new Error('no body');
  await reader.read();
  return {
    close: async () => {
      controller.abort();
      await reader.cancel().catch(() => undefined);
    },
  };
}

const post = (
  console_: Console,
  path: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<Response> =>
  fetch(`${console_.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('console: stream slots (issue 10, finding 1)', () => {
  it('gives back the slot of every stream its client closed: 40 open-and-close cycles, then one more opens, and logout counts only it', async () => {
    const console_ = await startConsole();
    const { token } = await login(console_, 'alice', 'editor');
    for (let i = 0; i < 40; i++) {
      const stream = await open(console_, i % 2 === 0 ? '/api/events' : '/api/exec', token);
      await stream.close();
    }
    // Each slot comes back within a second of its client leaving.
    await sleep(1_000);
    const last = await open(console_, '/api/events', token);
    const logout = await post(console_, '/auth/logout', bearer(token), {});
    expect(await logout.json()).toEqual({ cancelled: 1 });
    await last.close();
  });

  it('refuses one stream past LATCHKEY_MAX_STREAMS_PER_USER with 429 TOO_MANY_SESSIONS, and takes one again within a second of a close', async () => {
    const console_ = await startConsole({ LATCHKEY_MAX_STREAMS_PER_USER: '3' });
    const { token } = await login(console_, 'alice', 'editor');
    const streams = [
      await open(console_, '/api/events', token),
      await open(console_, '/api/exec', token),
      await open(console_, '/api/events', token),
    ];
    await expectError(
      await fetch(`${console_.url}/api/exec`, { headers: bearer(token) }),
      429,
      'TOO_MANY_SESSIONS',
    );
    // Another user is not held back.
    const bob = await login(console_, 'bob', 'viewer');
    const bobs = await open(console_, '/api/events', bob.token);
    await streams[0]?.close();
    const closedAt = Date.now();
    let status = 0;
    while (status !== 200 && Date.now() - closedAt < 1_000) {
      const response = await fetch(`${console_.url}/api/events`, { headers: bearer(token) });
      status = response.status;
      await response.body?.cancel();
      if (status !== 200) await sleep(50);
    }
    expect(status).toBe(200);
    for (const stream of [...streams, bobs]) await stream?.close();
  });

  it('releases the slot of a client that drops before the answer starts (finding 2)', async () => {
    const console_ = await startConsole({ LATCHKEY_MAX_STREAMS_PER_USER: '4' });
    const { token } = await login(console_, 'alice', 'editor');
    for (let i = 0; i < 12; i++) {
      const client = await rawClient(console_.port);
      client.send(`GET /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
      client.destroy();
    }
    await sleep(1_000);
    const streams = [];
    for (let i = 0; i < 4; i++) streams.push(await open(console_, '/api/events', token));
    for (const stream of streams) await stream.close();
  });
});

describe('console: revocation (issue 10, finding 5)', () => {
  it('refuses a logged-out token during [exp, exp + tolerance), where the denylist used to forget it', async () => {
    let clock = Date.UTC(2026, 0, 1, 12, 0, 0);
    const console_ = await startConsole({}, { tokenTtlSeconds: 60, now: () => clock });
    const old = await login(console_, 'alice', 'editor');
    clock += 1_000;
    expect((await post(console_, '/auth/logout', bearer(old.token), {})).status).toBe(200);
    clock += 1;
    // A login after the logout, even in the same second, works.
    const fresh = await login(console_, 'alice', 'editor');
    const drift = { repo: 'r', path: 'p' };
    expect((await post(console_, '/api/gitops/detect-drift', bearer(fresh.token), drift)).status).toBe(202);
    for (const afterExpMs of [0, 2_000, 4_900]) {
      clock = Date.UTC(2026, 0, 1, 12, 1, 0) + afterExpMs;
      await expectError(
        await post(console_, '/api/gitops/detect-drift', bearer(old.token), drift),
        401,
        'UNAUTHENTICATED',
      );
      await expectError(await fetch(`${console_.url}/api/events?token=${old.token}`), 401, 'UNAUTHENTICATED');
    }
  });
});

describe('console: access tokens and cookies (issue 10, finding 7; DESIGN "console")', () => {
  it('refuses a token with padding appended to its signature, by header, cookie or query', async () => {
    const console_ = await startConsole();
    const { token } = await login(console_, 'alice', 'editor');
    const body = { repo: 'r', path: 'p' };
    expect((await post(console_, '/api/gitops/sync', bearer(token), body)).status).toBe(202);
    for (const padded of [`${token}==`, `${token}=`]) {
      await expectError(
        await post(console_, '/api/gitops/sync', bearer(padded), body),
        401,
        'UNAUTHENTICATED',
      );
      await expectError(
        await post(console_, '/api/gitops/sync', { cookie: `latchkey_auth=${padded}` }, body),
        401,
        'UNAUTHENTICATED',
      );
      await expectError(await fetch(`${console_.url}/api/events?token=${padded}`), 401, 'UNAUTHENTICATED');
    }
  });

  it('logs in any user id of 1–256 characters without control characters; anything else is 400', async () => {
    const console_ = await startConsole();
    const { token, cookie } = await login(console_, 'a b', 'viewer');
    expect(token.split('.')).toHaveLength(3);
    expect(cookie).toMatch(/^latchkey_auth=[\w-]+\.[\w-]+\.[\w-]+; /);
    for (const attribute of ['HttpOnly', 'SameSite=Strict', 'Path=/', 'Max-Age=3600']) {
      expect(cookie.split('; ')).toContain(attribute);
    }
    for (const user of ['', 'a'.repeat(257), 'a\u0001b', 'a\u007fb']) {
      await expectError(
        await post(console_, '/auth/login', {}, { user, role: 'viewer' }),
        400,
        'INVALID_REQUEST',
      );
    }
    await expectError(
      await post(console_, '/auth/login', {}, { user: 'a', role: 'root' }),
      400,
      'INVALID_REQUEST',
    );
  });

  it('uses the first of several latchkey_auth cookies', async () => {
    const console_ = await startConsole();
    const { token } = await login(console_, 'alice', 'editor');
    const body = { repo: 'r', path: 'p' };
    expect(
      (
        await post(
          console_,
          '/api/gitops/sync',
          { cookie: `latchkey_auth=${token}; latchkey_auth=bad.token.x` },
          body,
        )
      ).status,
    ).toBe(202);
    await expectError(
      await post(
        console_,
        '/api/gitops/sync',
        { cookie: `latchkey_auth=bad.token.x; latchkey_auth=${token}` },
        body,
      ),
      401,
      'UNAUTHENTICATED',
    );
  });
});

describe('console: Origin and the order of checks (DESIGN T11)', () => {
  it('refuses a cookie-authenticated mutation from a foreign Origin with 403, and lets the rest through', async () => {
    const console_ = await startConsole({ LATCHKEY_ALLOWED_ORIGINS: 'https://console.example' });
    const { token } = await login(console_, 'alice', 'editor');
    const cookie = { cookie: `latchkey_auth=${token}` };
    const own = `http://127.0.0.1:${console_.port}`;
    const body = { repo: 'r', path: 'p' };
    for (const origin of ['https://evil.example', 'null', `${own}.evil.example`]) {
      await expectError(
        await post(console_, '/api/gitops/sync', { ...cookie, origin }, body),
        403,
        'FORBIDDEN',
      );
    }
    for (const origin of [own, 'https://console.example']) {
      expect((await post(console_, '/api/gitops/sync', { ...cookie, origin }, body)).status).toBe(202);
    }
    // No Origin: not a browser. The Authorization header: not forgeable by a page. GET: not a mutation.
    expect((await post(console_, '/api/gitops/sync', cookie, body)).status).toBe(202);
    expect(
      (await post(console_, '/api/gitops/sync', { ...bearer(token), origin: 'https://evil.example' }, body))
        .status,
    ).toBe(202);
    const events = await fetch(`${console_.url}/api/events`, {
      headers: { ...cookie, origin: 'https://evil.example' },
    });
    expect(events.status).toBe(200);
    await events.body?.cancel();
    // Logout is a mutation too.
    await expectError(
      await post(console_, '/auth/logout', { ...cookie, origin: 'https://evil.example' }, {}),
      403,
      'FORBIDDEN',
    );
  });

  it('checks authentication, revocation, Origin, role, then body, in that order', async () => {
    const console_ = await startConsole();
    const viewer = await login(console_, 'bob', 'viewer');
    const revoked = await login(console_, 'carol', 'editor');
    expect((await post(console_, '/auth/logout', bearer(revoked.token), {})).status).toBe(200);
    const foreign = { origin: 'https://evil.example' };
    const bad = { nope: 1 };
    await expectError(await post(console_, '/api/gitops/sync', { ...foreign }, bad), 401, 'UNAUTHENTICATED');
    await expectError(
      await post(console_, '/api/gitops/sync', { ...foreign, cookie: `latchkey_auth=${revoked.token}` }, bad),
      401,
      'UNAUTHENTICATED',
    );
    // A viewer's cookie from a foreign origin on an editor route with a bad body: the Origin speaks first.
    const originFirst = await post(
      console_,
      '/api/gitops/sync',
      { ...foreign, cookie: `latchkey_auth=${viewer.token}` },
      bad,
    );
    await expectError(originFirst, 403, 'FORBIDDEN');
    await expectError(await post(console_, '/api/gitops/sync', bearer(viewer.token), bad), 403, 'FORBIDDEN');
    const editor = await login(console_, 'alice', 'editor');
    await expectError(
      await post(console_, '/api/gitops/sync', bearer(editor.token), bad),
      400,
      'INVALID_REQUEST',
    );
  });

  it('ends a stream at logout with an end event, within a second', async () => {
    const console_ = await startConsole();
    const { token } = await login(console_, 'alice', 'editor');
    const response = await fetch(`${console_.url}/api/events`, { headers: bearer(token) });
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error('no body');
    await readUntil(reader, (text) => text.includes('event: ready'));
    const at = Date.now();
    const ended = readUntil(reader, (text) => text.includes('event: end'), 2_000);
    expect(await (await post(console_, '/auth/logout', bearer(token), {})).json()).toEqual({ cancelled: 1 });
    expect(await ended).toMatch(/event: end\ndata: \{"code":"SESSION_REVOKED"/);
    expect(Date.now() - at).toBeLessThan(1_000);
  });
});
