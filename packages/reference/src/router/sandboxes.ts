import type { KeyObject } from 'node:crypto';
import type { BootstrapAlgorithm } from '@latchkey/tokens';
import type { Logger } from '../log.js';
import { createSandboxServer, type SandboxServer } from '../sandbox/server.js';

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

/**
 * Runs each session's sandbox in this process, on its own `127.0.0.1` port: one sandbox, one session,
 * as in production, with the sandbox's `sub` bound to its session id.
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
  const running = new Map<string, SandboxServer>();
  return {
    async start(sessionId) {
      const sandbox = await createSandboxServer({
        bootstrapPublicKey: options.bootstrapPublicKey,
        algorithm: options.algorithm,
        issuer: options.issuer,
        audience: options.audience,
        sessionId,
        log: options.log,
      });
      running.set(sessionId, sandbox);
      return sandbox.url;
    },
    async stop(sessionId) {
      const sandbox = running.get(sessionId);
      if (sandbox === undefined) return;
      running.delete(sessionId);
      await sandbox.close();
    },
    async stopAll() {
      const all = [...running.values()];
      running.clear();
      await Promise.all(all.map((sandbox) => sandbox.close()));
    },
    has(sessionId) {
      return running.has(sessionId);
    },
    sessionIds() {
      return [...running.keys()];
    },
    get size() {
      return running.size;
    },
  };
}
