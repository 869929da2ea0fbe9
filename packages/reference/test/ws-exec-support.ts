import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { SessionRevokedError } from '@latchkey/errors';
import { parseAllowedOrigins } from '@latchkey/http';
import { createRegistry, type Registry } from '@latchkey/registry';
import { WebSocket } from 'ws';
import { AUTH_COOKIE, createConsoleApp } from '../src/console/app.js';
import { type ConsoleIdentity, createConsoleTokens } from '../src/console/console-tokens.js';
import { memoryDenylist } from '../src/console/denylist.js';
import { attachWsExec, type WsExec, type WsExecDeps } from '../src/console/ws-exec.js';
import { type Listening, listen } from '../src/listen.js';
import { silentLogger } from '../src/log.js';

/** The console app on loopback with `/ws/exec` attached to its server, as the console wires it. */
export interface ExecConsole {
  readonly url: string;
  readonly wsUrl: string;
  readonly host: string;
  readonly registry: Registry;
  readonly wsExec: WsExec;
  /** How many times a token was verified (any route). */
  verifyCalls(): number;
  login(user: string, role: string): Promise<string>;
  logout(token: string): Promise<{ status: number; cancelled: number }>;
  close(): Promise<void>;
}

export async function startExecConsole(
  options: Partial<Omit<WsExecDeps, 'verify' | 'register' | 'log'>> & {
    readonly allowedOriginsList?: string;
    readonly maxLeasesPerUser?: number;
    /** Runs between the lease's registration and the 101 (to land a logout inside the handshake). */
    readonly afterRegister?: (identity: ConsoleIdentity) => void | Promise<void>;
  } = {},
): Promise<ExecConsole> {
  const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const tokens = createConsoleTokens({ privateKey, publicKey: createPublicKey(privateKey) });
  const denylist = memoryDenylist();
  const registry = createRegistry({
    watermarkTtlMs: 3_700_000,
    ...(options.maxLeasesPerUser === undefined ? {} : { maxLeasesPerUser: options.maxLeasesPerUser }),
  });
  const shutdown = new AbortController();
  const app = createConsoleApp({ tokens, denylist, registry, log: silentLogger, oauthConfigured: false });
  const listening: Listening = await listen(app, { port: 0, log: silentLogger });
  let calls = 0;
  const verify = async (token: string): Promise<ConsoleIdentity> => {
    calls++;
    const identity = await tokens.verify(token);
    if (await denylist.has(identity.jti)) throw new SessionRevokedError('token-revoked');
    return identity;
  };
  const wsExec = attachWsExec(listening.server, {
    ...options,
    verify,
    register: async (identity) => {
      const lease = registry.register(identity.user, { kind: 'ws-exec', issuedAt: identity.issuedAt });
      await options.afterRegister?.(identity);
      return lease;
    },
    allowedOrigins: parseAllowedOrigins(options.allowedOriginsList),
    log: silentLogger,
    shutdown: shutdown.signal,
  });
  const host = `127.0.0.1:${listening.port}`;
  return {
    url: listening.url,
    wsUrl: `ws://${host}/ws/exec`,
    host,
    registry,
    wsExec,
    verifyCalls: () => calls,
    async login(user, role) {
      const response = await fetch(`${listening.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user, role }),
      });
      if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
      return ((await response.json()) as { token: string }).token;
    },
    async logout(token) {
      const response = await fetch(`${listening.url}/auth/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await response.json()) as { cancelled?: number };
      return { status: response.status, cancelled: body.cancelled ?? -1 };
    },
    async close() {
      shutdown.abort();
      wsExec.close();
      await listening.close(200);
      await registry.close();
    },
  };
}

export const cookieHeader = (token: string): string => `${AUTH_COOKIE}=${token}`;

/** What a test client saw on one connection. */
export interface Seen {
  readonly messages: unknown[];
  /** The HTTP status of a refusal before the 101, when there was one. */
  status?: number;
  body?: unknown;
  /** Connection header of the refusal. */
  connectionHeader?: string | undefined;
  opened: boolean;
  closeCode?: number;
  closedAtMs?: number;
}

/** Opens a client and records everything; `closed` resolves on close or refusal (bounded by `timeoutMs`). */
export function connect(
  url: string,
  options: ConstructorParameters<typeof WebSocket>[2] = {},
  timeoutMs = 5_000,
): {
  ws: WebSocket;
  seen: Seen;
  opened: Promise<boolean>;
  closed: Promise<Seen>;
  next: (n?: number) => Promise<unknown>;
} {
  const ws = new WebSocket(url, { ...options });
  const seen: Seen = { messages: [], opened: false };
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    seen.messages.push(JSON.parse(String(data)));
    for (const wake of waiters.splice(0)) wake();
  });
  const opened = new Promise<boolean>((resolve) => {
    ws.once('open', () => {
      seen.opened = true;
      resolve(true);
    });
    ws.once('close', () => resolve(false));
    ws.once('unexpected-response', () => resolve(false));
  });
  const closed = new Promise<Seen>((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate();
      resolve(seen);
    }, timeoutMs);
    ws.on('error', () => undefined);
    ws.once('close', (code) => {
      clearTimeout(timer);
      seen.closeCode = code;
      seen.closedAtMs = performance.now();
      for (const wake of waiters.splice(0)) wake();
      resolve(seen);
    });
    ws.once('unexpected-response', (_request, response) => {
      seen.status = response.statusCode ?? 0;
      seen.connectionHeader = response.headers.connection;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => {
        clearTimeout(timer);
        try {
          seen.body = JSON.parse(text);
        } catch {
          seen.body = text;
        }
        ws.terminate();
        resolve(seen);
      });
    });
  });
  /** Resolves with message number `n` (0-based) once it has arrived; rejects after 3 s. */
  const next = (n = seen.messages.length): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`no message #${n}`)), 3_000);
      const check = (): void => {
        if (seen.messages.length > n) {
          clearTimeout(deadline);
          resolve(seen.messages[n]);
        } else if (seen.closeCode !== undefined) {
          clearTimeout(deadline);
          reject(new Error(`closed ${seen.closeCode} before message #${n}`));
        } else waiters.push(check);
      };
      check();
    });
  return { ws, seen, opened, closed, next };
}

export const INIT: string = JSON.stringify({
  type: 'exec_init',
  namespace: 'team-a',
  pod: 'web-0',
  command: ['sh'],
});
export const stdin = (data: string): string => JSON.stringify({ type: 'stdin', data });
