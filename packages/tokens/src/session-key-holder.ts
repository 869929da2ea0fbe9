/**
 * The sandbox's init-once slot for its session key: `uninitialized` → `initialized`, never back and
 * never twice. A second `/init` cannot overwrite the key (threat T3: session hijack by re-init).
 */
import type { KeyObject } from 'node:crypto';
import { AlreadyInitializedError, SandboxNotInitializedError } from '@latchkey/errors';
import {
  createSessionTokenVerifier,
  type SessionClaims,
  type SessionTokenVerifier,
  type SessionTokenVerifierOptions,
} from './session-token.js';

/** What the holder is initialised with; a verified bootstrap token has this shape. */
export interface SessionKeyInit {
  readonly sessionId: string;
  readonly sessionPublicKey: KeyObject;
}

/** Session-token verifier options the holder fixes at creation (the key and session id come at init). */
export type SessionKeyHolderOptions = Omit<SessionTokenVerifierOptions, 'publicKey' | 'expectedSessionId'>;

/** The two states of a {@link SessionKeyHolder}. */
export type SessionKeyHolderState = 'uninitialized' | 'initialized';

/** Init-once holder of a sandbox's session key. */
export interface SessionKeyHolder {
  readonly state: SessionKeyHolderState;
  readonly isInitialized: boolean;
  /**
   * Installs the session key; throws `ALREADY_INITIALIZED` (409) when one is installed. Synchronous,
   * so of any number of concurrent `/init` requests exactly one wins.
   */
  initialize(init: SessionKeyInit): SessionTokenVerifier;
  /** The session id; throws `DAEMON_NOT_INITIALIZED` (503, `SandboxNotInitializedError`) before initialisation. */
  readonly sessionId: string;
  /** The session public key; throws `DAEMON_NOT_INITIALIZED` (503, `SandboxNotInitializedError`) before initialisation. */
  readonly publicKey: KeyObject;
  /** The session-token verifier; throws `DAEMON_NOT_INITIALIZED` (503, `SandboxNotInitializedError`) before initialisation. */
  readonly verifier: SessionTokenVerifier;
  /** Verifies a session token; rejects with `DAEMON_NOT_INITIALIZED` (503) before initialisation. */
  verify(token: string): Promise<SessionClaims>;
}

/**
 * Creates an empty, init-once session key holder. Session tokens verified through it must carry the
 * initialised session id as `sub`.
 *
 * @example
 * ```ts
 * const holder = createSessionKeyHolder({ issuer: 'latchkey-router', audience: 'latchkey-sandbox' });
 * // POST /init
 * holder.initialize(await bootstrapVerifier.verify(bootstrapToken));
 * // /api/*
 * const { sessionId } = await holder.verify(sessionToken);
 * ```
 */
export function createSessionKeyHolder(options: SessionKeyHolderOptions): SessionKeyHolder {
  let installed: { sessionId: string; publicKey: KeyObject; verifier: SessionTokenVerifier } | undefined;
  const current = (): { sessionId: string; publicKey: KeyObject; verifier: SessionTokenVerifier } => {
    if (installed === undefined) throw new SandboxNotInitializedError();
    return installed;
  };
  return {
    get state(): SessionKeyHolderState {
      return installed === undefined ? 'uninitialized' : 'initialized';
    },
    get isInitialized(): boolean {
      return installed !== undefined;
    },
    initialize(init: SessionKeyInit): SessionTokenVerifier {
      if (installed !== undefined) throw new AlreadyInitializedError();
      const verifier = createSessionTokenVerifier({
        ...options,
        publicKey: init.sessionPublicKey,
        expectedSessionId: init.sessionId,
      });
      installed = { sessionId: init.sessionId, publicKey: init.sessionPublicKey, verifier };
      return verifier;
    },
    get sessionId(): string {
      return current().sessionId;
    },
    get publicKey(): KeyObject {
      return current().publicKey;
    },
    get verifier(): SessionTokenVerifier {
      return current().verifier;
    },
    verify(token: string): Promise<SessionClaims> {
      if (installed === undefined) return Promise.reject(new SandboxNotInitializedError());
      return installed.verifier.verify(token);
    },
  };
}
