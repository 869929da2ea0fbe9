import type { KeyObject } from 'node:crypto';
import { createSessionTokenSigner, type SigningKeyCache } from '@latchkey/tokens';

/** Session tokens the router signs for its forwards, reused for a short while per session. */
export interface SessionTokens {
  /** A token for `sessionId`: the cached one while fresh, else one signed with the session's key. */
  get(sessionId: string): Promise<string>;
  /** Signs a token with a key at hand (a session just created) and caches it. */
  signWith(sessionId: string, privateKey: KeyObject): string;
  /** Forgets what is held for `sessionId` (its token and its cached signing key). */
  delete(sessionId: string): void;
}

/** Options of {@link createSessionTokens}. */
export interface SessionTokensOptions {
  /** Decrypted session private keys, loaded from the store once per key. */
  readonly signingKeys: SigningKeyCache;
  /** `iss` / `aud` of the tokens. */
  readonly issuer: string;
  readonly audience: string;
  readonly now: () => number;
  /** How long a token is reused, well inside its 300 s lifetime; default 60 000 ms. */
  readonly reuseMs?: number;
  /** Tokens held at most (the oldest goes first); default 10 000. */
  readonly max?: number;
}

/**
 * The router's session tokens. A token is reused for a minute: the sandbox's verified-token cache
 * then answers repeat calls without a signature check, and the router signs once a minute per session
 * instead of per call. The store lookup and the target check still run on every call, so a deleted or
 * mismatched session is refused at once whatever is cached here.
 *
 * @example
 * ```ts
 * const tokens = createSessionTokens({ signingKeys, issuer, audience, now: Date.now });
 * const token = await tokens.get(sessionId);
 * ```
 */
export function createSessionTokens(options: SessionTokensOptions): SessionTokens {
  const { signingKeys, issuer, audience, now } = options;
  const reuseMs = options.reuseMs ?? 60_000;
  const max = options.max ?? 10_000;
  const tokens = new Map<string, { readonly token: string; readonly refreshAt: number }>();

  const sign = (sessionId: string, privateKey: KeyObject): string => {
    // Synchronous: an ES256 signature costs tens of microseconds, less than a threadpool round trip.
    const token = createSessionTokenSigner({ privateKey, issuer, audience, sessionId }).signSync();
    tokens.delete(sessionId);
    if (tokens.size >= max) {
      const oldest = tokens.keys().next();
      if (oldest.done !== true) tokens.delete(oldest.value);
    }
    tokens.set(sessionId, { token, refreshAt: now() + reuseMs });
    return token;
  };

  return {
    async get(sessionId) {
      const cached = tokens.get(sessionId);
      if (cached !== undefined && cached.refreshAt > now()) return cached.token;
      return sign(sessionId, await signingKeys.get(sessionId));
    },
    signWith: sign,
    delete(sessionId) {
      tokens.delete(sessionId);
      signingKeys.delete(sessionId);
    },
  };
}
