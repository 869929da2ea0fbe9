import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { UpstreamUnavailableError } from '@latchkey/errors';
import type { BootstrapAlgorithm } from '@latchkey/tokens';
import { type Listening, listen } from '../listen.js';
import type { Logger } from '../log.js';
import { type App, toResponse } from '../respond.js';
import { sandboxDuplicateAuthorization } from '../sandbox/app.js';
import { createSandbox } from '../sandbox/server.js';

/** Brings sandboxes up and down, one per session. */
export interface SandboxLauncher {
  /** Starts the sandbox of `sessionId` and returns its base URL. */
  start(sessionId: string): Promise<string>;
  /** Stops the sandbox of `sessionId` if this launcher runs it. Idempotent. */
  stop(sessionId: string): Promise<void>;
  /** Stops every sandbox. */
  stopAll(): Promise<void>;
  /** Whether this launcher runs the sandbox of `sessionId`. */
  has(sessionId: string): boolean;
  /** Session ids whose sandbox this launcher runs, as a snapshot. */
  sessionIds(): string[];
  /** Sandboxes running. */
  readonly size: number;
}

/** The path prefix of every sandbox on a host: `/s/<slot>`. */
const MOUNT = '/s/';

/**
 * Runs each session's sandbox in this process: one sandbox app per session (its own init-once key
 * holder, replay guard and `/init` limiter, its `sub` bound to the session id, as in production), all
 * served by one `127.0.0.1` listener, each mounted at `/s/<slot>` under a random 128-bit slot. A
 * sandbox's base URL (`http://127.0.0.1:<port>/s/<slot>`) is what the session record keeps, so any
 * router sharing the store reaches it. A slot that is not (or no longer) mounted answers 502
 * `UPSTREAM_UNAVAILABLE`: the session's sandbox is gone.
 *
 * Why one listener (issue 13): a listener per session cost every idle session a descriptor, a server
 * with its connection-checking timer and a keep-alive socket pool of its own at each router, and
 * made each forward land on a different socket; forwards then slowed as sessions grew. Now every
 * forward from a router to this host shares one keep-alive pool.
 *
 * @example
 * ```ts
 * const launcher = inProcessSandboxes({ bootstrapPublicKey, algorithm: 'RS256', issuer, audience, log });
 * const url = await launcher.start(sessionId);
 * ```
 */
export function inProcessSandboxes(options: {
  readonly bootstrapPublicKey: KeyObject;
  readonly algorithm: BootstrapAlgorithm;
  readonly issuer: string;
  readonly audience: string;
  readonly log: Logger;
}): SandboxLauncher {
  /** session id → its slot; slot → its sandbox app. */
  const slots = new Map<string, string>();
  const mounted = new Map<string, App>();
  let host: Promise<Listening> | undefined;
  let closed = false;

  const gone = (): Response => toResponse(new UpstreamUnavailableError('unreachable'), options.log);

  const dispatch: App = async (request, context) => {
    const path = new URL(request.url).pathname;
    if (!path.startsWith(MOUNT)) return gone();
    const end = path.indexOf('/', MOUNT.length);
    const slot = end < 0 ? path.slice(MOUNT.length) : path.slice(MOUNT.length, end);
    const app = mounted.get(slot);
    if (app === undefined) return gone();
    return app(request, context);
  };

  const open = (): Promise<Listening> => {
    host ??= listen(dispatch, {
      port: 0,
      log: options.log,
      duplicateAuthorization: sandboxDuplicateAuthorization,
    }).catch((error: unknown) => {
      host = undefined;
      throw error;
    });
    return host;
  };

  return {
    async start(sessionId) {
      if (closed) throw new UpstreamUnavailableError('unreachable');
      const listening = await open();
      const slot = randomBytes(16).toString('base64url');
      const basePath = `${MOUNT}${slot}`;
      mounted.set(
        slot,
        createSandbox({
          bootstrapPublicKey: options.bootstrapPublicKey,
          algorithm: options.algorithm,
          issuer: options.issuer,
          audience: options.audience,
          sessionId,
          log: options.log,
          basePath,
        }),
      );
      slots.set(sessionId, slot);
      return `${listening.url}${basePath}`;
    },
    async stop(sessionId) {
      const slot = slots.get(sessionId);
      if (slot === undefined) return;
      slots.delete(sessionId);
      // New requests to the slot are refused at once; one already inside the app finishes.
      mounted.delete(slot);
    },
    async stopAll() {
      closed = true;
      slots.clear();
      mounted.clear();
      const listening = host;
      host = undefined;
      if (listening !== undefined) await (await listening.catch(() => undefined))?.close(500);
    },
    has(sessionId) {
      return slots.has(sessionId);
    },
    sessionIds() {
      return [...slots.keys()];
    },
    get size() {
      return slots.size;
    },
  };
}
