/**
 * `pnpm demo`: starts the sandbox, router and console on loopback (in-memory stores) and walks the
 * story of latchkey as a transcript. Exits 0 only when every step behaved as described.
 *
 * Run: node --conditions=@latchkey/source --import tsx packages/reference/src/demo.ts
 */
import { generateKeyPairSync } from 'node:crypto';
import { createBootstrapIssuer, createSessionTokenSigner, generateSessionKeyPair } from '@latchkey/tokens';
import { WebSocket } from 'ws';
import { readConsoleConfig, readRouterConfig, readSandboxConfig } from './config.js';
import { buildConsole } from './console/server.js';
import { type Listening, listen } from './listen.js';
import { createLogger, silentLogger } from './log.js';
import type { Built } from './main.js';
import { buildRouter } from './router/server.js';
import { buildSandbox } from './sandbox/server.js';

const ISSUER = 'latchkey-router';
const AUDIENCE = 'latchkey-sandbox';
const color = process.stdout.isTTY === true;
const paint = (code: number, text: string): string => (color ? `\u001b[${code}m${text}\u001b[0m` : text);

let failures = 0;

function step(title: string): void {
  process.stdout.write(`\n${paint(1, title)}\n`);
}

function check(ok: boolean, what: string, detail = ''): void {
  if (!ok) failures += 1;
  const mark = ok ? paint(32, '  ✓') : paint(31, '  ✗');
  process.stdout.write(`${mark} ${what}${detail === '' ? '' : paint(2, `  (${detail})`)}\n`);
}

async function call(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = { text };
  }
  return { status: response.status, body, headers: response.headers };
}

const said = (result: { status: number; body: Record<string, unknown> }): string =>
  `${result.status}${typeof result.body.code === 'string' ? ` ${result.body.code}` : ''}`;

/** Reads a stream until it ends; resolves with the time it ended and the text received. */
async function drain(response: Response): Promise<{ endedAt: number; text: string }> {
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let text = '';
  if (reader === undefined) return { endedAt: Date.now(), text };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { endedAt: Date.now(), text };
    text += decoder.decode(value, { stream: true });
  }
}

async function start(build: Promise<Built>): Promise<{ built: Built; listening: Listening }> {
  const built = await build;
  const listening = await listen(built.app, { ...built.bridge, port: 0, log: silentLogger });
  built.attach?.(listening.server);
  return { built, listening };
}

/** A WebSocket client that records its messages and its close code. */
async function openExec(
  url: string,
  token: string,
): Promise<{
  messages: unknown[];
  send(value: unknown): void;
  next(n: number): Promise<void>;
  closed: Promise<number>;
}> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const messages: unknown[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_request, response) =>
      reject(new Error(`refused: ${response.statusCode}`)),
    );
    ws.once('error', reject);
  });
  return {
    messages,
    send: (value) => ws.send(JSON.stringify(value)),
    async next(n) {
      const deadline = Date.now() + 2_000;
      while (messages.length < n && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    closed,
  };
}

async function run(): Promise<void> {
  const bootstrapKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = bootstrapKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const privatePem = bootstrapKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  const sandbox = await start(
    buildSandbox(readSandboxConfig({ LATCHKEY_BOOTSTRAP_PUBLIC_KEY: publicPem }), silentLogger),
  );
  const router = await start(
    buildRouter(readRouterConfig({ LATCHKEY_BOOTSTRAP_PRIVATE_KEY: privatePem }), silentLogger),
  );
  const console_ = await start(buildConsole(readConsoleConfig({}), silentLogger));
  process.stdout.write(
    `${paint(1, 'latchkey demo')}: sandbox ${sandbox.listening.url}, router ${router.listening.url}, console ${console_.listening.url} (in-memory stores)\n`,
  );

  try {
    const invoke = `${router.listening.url}/v1/namespaces/team-a/AgentRuntime/agent-1/invoke`;

    step('1. A client invokes an agent through the router: a session is created for it');
    const created = await call(`${invoke}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'sandbox' }),
    });
    const sessionId = created.headers.get('x-latchkey-session') ?? '';
    check(
      created.status === 200 && created.body.hello === 'sandbox',
      'POST …/invoke/echo forwarded to a fresh sandbox',
      said(created),
    );
    check(sessionId !== '', 'the response carries x-latchkey-session', sessionId);

    step('2. The client invokes its session again');
    const again = await call(`${invoke}/whoami`, { headers: { 'x-latchkey-session': sessionId } });
    check(
      again.status === 200 && again.body.sessionId === sessionId,
      'GET …/invoke/whoami reaches the same sandbox',
      said(again),
    );

    step('3. The session id is replayed against another target (T2)');
    const replay = await call(
      `${router.listening.url}/v1/namespaces/team-b/AgentRuntime/agent-1/invoke/whoami`,
      { headers: { 'x-latchkey-session': sessionId } },
    );
    check(
      replay.status === 409 && replay.body.code === 'SESSION_TARGET_MISMATCH',
      'refused: the session is bound to team-a',
      said(replay),
    );

    step('4. A sandbox is initialised once, with a bootstrap token (T3, T4)');
    const sandboxUrl = sandbox.listening.url;
    const before = await call(`${sandboxUrl}/api/whoami`);
    check(
      before.status === 503 && before.body.code === 'DAEMON_NOT_INITIALIZED',
      'before /init, /api/* answers 503',
      said(before),
    );
    const issuer = createBootstrapIssuer({
      privateKey: bootstrapKeys.privateKey,
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    const mine = await generateSessionKeyPair();
    const init = await call(`${sandboxUrl}/init`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await issuer.issue({ sessionId: 'session-a', sessionPublicKey: mine.publicJwk })}`,
      },
    });
    check(
      init.status === 200 && init.body.initialized === true,
      'POST /init with a bootstrap token installs the session key',
      said(init),
    );
    const signer = createSessionTokenSigner({
      privateKey: mine.privateKey,
      issuer: ISSUER,
      audience: AUDIENCE,
      sessionId: 'session-a',
    });
    const whoami = await call(`${sandboxUrl}/api/whoami`, {
      headers: { authorization: `Bearer ${await signer.sign()}` },
    });
    check(
      whoami.status === 200 && whoami.body.sessionId === 'session-a',
      'a session token from that key is accepted',
      said(whoami),
    );

    step("5. A token forged with another session's key is refused (T1)");
    const other = await generateSessionKeyPair();
    const forger = createSessionTokenSigner({
      privateKey: other.privateKey,
      issuer: ISSUER,
      audience: AUDIENCE,
      sessionId: 'session-a',
    });
    const forged = await call(`${sandboxUrl}/api/whoami`, {
      headers: { authorization: `Bearer ${await forger.sign()}` },
    });
    check(
      forged.status === 401 && forged.body.code === 'INVALID_SESSION_TOKEN',
      'refused: wrong key',
      said(forged),
    );

    step('6. A second /init tries to replace the session key (T3)');
    const reinit = await call(`${sandboxUrl}/init`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await issuer.issue({ sessionId: 'session-a', sessionPublicKey: other.publicJwk })}`,
      },
    });
    check(
      reinit.status === 409 && reinit.body.code === 'ALREADY_INITIALIZED',
      'refused: the key is installed once',
      said(reinit),
    );

    step('7. The router deletes the session: record and key go together');
    const deleted = await fetch(`${router.listening.url}/v1/sessions/${sessionId}`, { method: 'DELETE' });
    check(deleted.status === 204, 'DELETE /v1/sessions/{id}', String(deleted.status));
    const gone = await call(`${invoke}/whoami`, { headers: { 'x-latchkey-session': sessionId } });
    check(gone.status === 404 && gone.body.code === 'SESSION_NOT_FOUND', 'the session is gone', said(gone));

    step('8. A console user logs in and opens three streams');
    const consoleUrl = console_.listening.url;
    const login = await call(`${consoleUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'alice', role: 'editor' }),
    });
    const token = String(login.body.token ?? '');
    const cookie = login.headers.get('set-cookie') ?? '';
    check(login.status === 200 && token !== '', 'POST /auth/login as alice (editor)', said(login));
    check(
      /HttpOnly/i.test(cookie) && /SameSite=Strict/i.test(cookie),
      'the latchkey_auth cookie is HttpOnly and SameSite=Strict',
    );
    const auth = { authorization: `Bearer ${token}` };
    const events = await fetch(`${consoleUrl}/api/events`, { headers: auth });
    const exec = await fetch(`${consoleUrl}/api/exec`, { headers: auth });
    check(
      events.status === 200 && exec.status === 200,
      'GET /api/events (SSE) and GET /api/exec (chunked) are open',
      `${events.status}, ${exec.status}`,
    );
    const ends = Promise.all([drain(events), drain(exec)]);
    const shell = await openExec(`${consoleUrl.replace('http:', 'ws:')}/ws/exec`, token);
    shell.send({ type: 'exec_init', namespace: 'team-a', pod: 'web-0', command: ['sh'] });
    shell.send({ type: 'stdin', data: 'echo hello' });
    await shell.next(2);
    check(
      JSON.stringify(shell.messages) === '[{"type":"exec_started"},{"type":"stdout","data":"echo hello"}]',
      'a WebSocket exec session on /ws/exec echoes stdin',
      JSON.stringify(shell.messages[1] ?? null),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_200));

    step('9. alice logs out: every stream ends (T6)');
    const loggedOutAt = Date.now();
    const logout = await call(`${consoleUrl}/auth/logout`, { method: 'POST', headers: auth });
    check(
      logout.status === 200 && logout.body.cancelled === 3,
      'POST /auth/logout ends the SSE, the chunked and the WebSocket stream',
      `cancelled: ${String(logout.body.cancelled)}`,
    );
    const [eventsEnd, execEnd] = await ends;
    const shellCode = await shell.closed;
    check(
      shellCode === 4401 &&
        shell.messages.some((message) => (message as { code?: unknown }).code === 'SESSION_REVOKED'),
      'the WebSocket session got SESSION_REVOKED and close 4401',
      String(shellCode),
    );
    const slowest = Math.max(eventsEnd.endedAt, execEnd.endedAt) - loggedOutAt;
    check(slowest < 1_000, 'both streams ended within a second', `${slowest} ms`);
    check(/event: heartbeat/.test(eventsEnd.text), 'the event stream had sent heartbeats before');
    const revoked = await call(`${consoleUrl}/api/gitops/detect-drift`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ repo: 'infra', path: 'apps' }),
    });
    check(
      revoked.status === 401 && revoked.body.code === 'UNAUTHENTICATED',
      'the logged-out token is refused',
      said(revoked),
    );

    step('10. A viewer tries a mutation (T7)');
    const viewer = await call(`${consoleUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'bob', role: 'viewer' }),
    });
    const mutation = await call(`${consoleUrl}/api/gitops/helm/upgrade`, {
      method: 'POST',
      headers: { authorization: `Bearer ${String(viewer.body.token)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ release: 'web', namespace: 'team-a', chart: 'web-1.2.0' }),
    });
    check(
      mutation.status === 403 && mutation.body.code === 'FORBIDDEN',
      'POST /api/gitops/helm/upgrade as bob (viewer)',
      said(mutation),
    );

    step("11. A page on another origin rides bob's cookie (T11)");
    const bobCookie = {
      cookie: `latchkey_auth=${String(viewer.body.token)}`,
      'content-type': 'application/json',
    };
    const drift = JSON.stringify({ repo: 'infra', path: 'apps' });
    const foreign = await call(`${consoleUrl}/api/gitops/detect-drift`, {
      method: 'POST',
      headers: { ...bobCookie, origin: 'https://evil.example' },
      body: drift,
    });
    check(
      foreign.status === 403 && foreign.body.code === 'FORBIDDEN',
      'Origin https://evil.example',
      said(foreign),
    );
    const own = await call(`${consoleUrl}/api/gitops/detect-drift`, {
      method: 'POST',
      headers: { ...bobCookie, origin: consoleUrl },
      body: drift,
    });
    check(own.status === 202, "the console's own origin", said(own));

    step('12. Streams closed by their client give their slot back (T9: 32 per user)');
    const bobAuth = { authorization: `Bearer ${String(viewer.body.token)}` };
    for (let i = 0; i < 40; i++) {
      const controller = new AbortController();
      const opened = await fetch(`${consoleUrl}/api/events`, { headers: bobAuth, signal: controller.signal });
      const reader = opened.body?.getReader();
      await reader?.read();
      controller.abort();
      await reader?.cancel().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const fortyFirst = await fetch(`${consoleUrl}/api/events`, { headers: bobAuth });
    check(
      fortyFirst.status === 200,
      '40 streams opened and closed, then one more opens',
      String(fortyFirst.status),
    );
    const ended = drain(fortyFirst);
    const bobOut = await call(`${consoleUrl}/auth/logout`, { method: 'POST', headers: bobAuth });
    await ended;
    check(
      bobOut.body.cancelled === 1,
      'logout counts only the live one',
      `cancelled: ${String(bobOut.body.cancelled)}`,
    );

    step('13. One client floods a router with new sessions (T9), whose log never names a session (T13)');
    const lines: string[] = [];
    const flooded = await start(
      buildRouter(
        readRouterConfig({
          LATCHKEY_BOOTSTRAP_PRIVATE_KEY: privatePem,
          LATCHKEY_MAX_SESSIONS_PER_CLIENT: '5',
        }),
        createLogger({ name: 'router', sink: { write: (line) => lines.push(line) } }),
      ),
    );
    try {
      const statuses: number[] = [];
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) {
        const created = await call(
          `${flooded.listening.url}/v1/namespaces/team-a/AgentRuntime/agent-1/invoke/whoami`,
        );
        statuses.push(created.status);
        const id = created.headers.get('x-latchkey-session');
        if (id !== null) ids.push(id);
        if (i === 7)
          check(created.body.code === 'TOO_MANY_SESSIONS', 'the 6th and later are refused', said(created));
      }
      check(
        statuses.filter((status) => status === 200).length === 5,
        'five sessions for this client (LATCHKEY_MAX_SESSIONS_PER_CLIENT=5)',
        statuses.join(' '),
      );
      const freed = await call(`${flooded.listening.url}/v1/sessions/${ids[0]}`, { method: 'DELETE' });
      const again = await call(
        `${flooded.listening.url}/v1/namespaces/team-a/AgentRuntime/agent-1/invoke/whoami`,
      );
      check(
        freed.status === 204 && again.status === 200,
        'a DELETE frees its slot at once',
        `${freed.status}, then ${again.status}`,
      );
      const log = lines.join('');
      check(
        ids.every((id) => !log.includes(id)) &&
          /"event":"session-created"[^\n]*"session":"[0-9a-f]{16}"/.test(log),
        'session-created lines carry a keyed fingerprint, never the id',
        /"session":"([0-9a-f]{16})"/.exec(log)?.[1] ?? '',
      );
    } finally {
      flooded.built.stop();
      await flooded.listening.close(500);
      await flooded.built.close();
    }

    step('14. Requests outside the contract');
    const options = await call(`${consoleUrl}/api/events`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example' },
    });
    check(
      options.status === 405 && options.headers.get('access-control-allow-origin') === null,
      'OPTIONS: no CORS, no data',
      said(options),
    );
  } finally {
    for (const server of [console_, router, sandbox]) {
      server.built.stop();
      await server.listening.close(500);
      await server.built.close();
    }
  }
  process.stdout.write(
    failures === 0
      ? `\n${paint(32, 'every step behaved as described')}\n`
      : `\n${paint(31, `${failures} step(s) failed`)}\n`,
  );
}

run().then(
  () => process.exit(failures === 0 ? 0 : 1),
  (error: unknown) => {
    process.stderr.write(
      `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
