/**
 * Session tokens: ES256, signed per request by the holder of the session private key, verified by the
 * sandbox with the session public key. This runs on every request, so it is a small compact-JWS path on
 * `node:crypto` rather than jose: the header is precomputed, crypto runs on the libuv threadpool, and
 * every check of the bootstrap path still applies. A differential property test holds it to accepting
 * nothing jose's `jwtVerify` rejects under the same options.
 */
import type { KeyObject } from 'node:crypto';
import {
  InvalidSessionTokenError,
  LatchkeyError,
  StoreUnavailableError,
  type TokenFailureReason,
} from '@latchkey/errors';
import { LRUCache } from 'lru-cache';
import { type ClaimRules, checkClaims, deepFreeze, isSessionId } from './claims.js';
import { SESSION_TYP } from './compact.js';
import { createCompactVerifier, es256HeaderSegment, signCompact, signCompactSync } from './es256-compact.js';
import { clockOption, integerOption, keyOption, stringOption, toleranceOption } from './options.js';
import { randomTokenId } from './random-id.js';
import type { ReplayGuard } from './replay-guard.js';

/** Default lifetime of a session token, in seconds. */
export const DEFAULT_SESSION_TTL_SECONDS = 300;
/** Hard maximum lifetime of a session token, in seconds. */
export const MAX_SESSION_TTL_SECONDS = 3600;

// Claims the signer sets itself; extra claims may not override them.
const REGISTERED = new Set(['iss', 'aud', 'sub', 'iat', 'exp', 'nbf', 'jti']);
const ES256 = ['ES256'] as const;
const HEADER_SEGMENT = es256HeaderSegment(SESSION_TYP);

/** Options of {@link createSessionTokenSigner}. */
export interface SessionTokenSignerOptions {
  /** The session private key (P-256). */
  readonly privateKey: KeyObject;
  readonly issuer: string;
  readonly audience: string;
  /** The session id, carried as `sub`. */
  readonly sessionId: string;
  /** Lifetime in seconds; default 300, at most 3600. */
  readonly ttlSeconds?: number;
  /** Clock in epoch milliseconds; defaults to `Date.now`. */
  readonly now?: () => number;
  /** Put a fresh 128-bit `jti` in every token (needed when the verifier has a replay guard); default true. */
  readonly withJti?: boolean;
}

/** Extra, non-registered claims for one token (JSON values). */
export type ExtraClaims = Readonly<Record<string, unknown>>;

/** Signs session tokens for one session. */
export interface SessionTokenSigner {
  /** Signs on the threadpool; the event loop is not blocked. */
  sign(extraClaims?: ExtraClaims): Promise<string>;
  /** Signs on the calling thread. */
  signSync(extraClaims?: ExtraClaims): string;
}

/**
 * Creates a session-token signer for one session (the side that holds the session private key).
 *
 * @example
 * ```ts
 * const signer = createSessionTokenSigner({ privateKey, issuer: 'latchkey-router', audience: 'latchkey-sandbox', sessionId });
 * await fetch(url, { headers: { authorization: `Bearer ${await signer.sign()}` } });
 * ```
 */
export function createSessionTokenSigner(options: SessionTokenSignerOptions): SessionTokenSigner {
  const privateKey = keyOption('privateKey', options.privateKey, 'private', ES256);
  const issuer = stringOption('issuer', options.issuer);
  const audience = stringOption('audience', options.audience);
  if (!isSessionId(options.sessionId)) throw new TypeError('sessionId must be 1 to 128 URL-safe characters');
  const ttl = integerOption(
    'ttlSeconds',
    options.ttlSeconds,
    DEFAULT_SESSION_TTL_SECONDS,
    1,
    MAX_SESSION_TTL_SECONDS,
  );
  const now = clockOption(options.now);
  const withJti = options.withJti ?? true;
  // The fixed claims are encoded once. Padded with JSON whitespace to a multiple of 3 bytes, their
  // base64url text is a prefix of every token's claims segment, so only the varying tail is encoded.
  let fixedClaims = `{"iss":${JSON.stringify(issuer)},"aud":${JSON.stringify(audience)},"sub":${JSON.stringify(options.sessionId)},`;
  while (Buffer.byteLength(fixedClaims) % 3 !== 0) fixedClaims += ' ';
  const fixedPrefix = `${HEADER_SEGMENT}.${Buffer.from(fixedClaims).toString('base64url')}`;

  const signingInput = (extraClaims: ExtraClaims | undefined): string => {
    const iat = Math.floor(now() / 1000);
    let json = `"iat":${iat},"exp":${iat + ttl}`;
    if (withJti) json += `,"jti":"${randomTokenId()}"`;
    if (extraClaims !== undefined) json += extraJson(extraClaims);
    return fixedPrefix + Buffer.from(`${json}}`).toString('base64url');
  };

  return {
    sign(extraClaims?: ExtraClaims): Promise<string> {
      let input: string;
      try {
        input = signingInput(extraClaims);
      } catch (error) {
        return Promise.reject(error);
      }
      return signCompact(privateKey, input);
    },
    signSync(extraClaims?: ExtraClaims): string {
      return signCompactSync(privateKey, signingInput(extraClaims));
    },
  };
}

function extraJson(extraClaims: ExtraClaims): string {
  if (typeof extraClaims !== 'object' || extraClaims === null || Array.isArray(extraClaims)) {
    throw new TypeError('extra claims must be a plain object');
  }
  for (const name of Object.keys(extraClaims)) {
    if (REGISTERED.has(name)) throw new TypeError(`extra claims may not set ${name}`);
  }
  const json = JSON.stringify(extraClaims);
  return json.length <= 2 ? '' : `,${json.slice(1, -1)}`;
}

/** The claims of a verified session token. */
export interface SessionClaims {
  readonly sessionId: string;
  /** `iat`, in epoch seconds. */
  readonly issuedAtSeconds: number;
  /** `exp`, in epoch seconds. */
  readonly expiresAtSeconds: number;
  /** `jti`, when the token carries one. */
  readonly tokenId: string | undefined;
  /** The whole claims set (registered and extra claims), deeply frozen. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Options of {@link createSessionTokenVerifier}. */
export interface SessionTokenVerifierOptions {
  /** The session public key (P-256), from the bootstrap token. */
  readonly publicKey: KeyObject;
  readonly issuer: string;
  readonly audience: string;
  /** When set, `sub` must equal it. */
  readonly expectedSessionId?: string;
  /** Clock tolerance in seconds; default 5, at most 60. */
  readonly clockToleranceSeconds?: number;
  /** Clock in epoch milliseconds; defaults to `Date.now`. */
  readonly now?: () => number;
  /** When set, every token must carry a `jti`, accepted once until `exp` + tolerance. */
  readonly replayGuard?: ReplayGuard;
  /**
   * A bounded cache of verified tokens, keyed by the exact token string; entries die at `exp`. A
   * replay guard, when configured, still runs on every hit.
   */
  readonly cache?: { readonly max: number };
}

/** Verifies session tokens for one session key. */
export interface SessionTokenVerifier {
  /** Verifies with the signature check on the threadpool (and the replay guard, when configured). */
  verify(token: string): Promise<SessionClaims>;
  /**
   * Verifies on the calling thread. A replay guard answers asynchronously, so with one configured this
   * throws `TypeError`: use `verify`.
   */
  verifySync(token: string): SessionClaims;
}

/**
 * Creates a session-token verifier. `verify` resolves the claims or rejects with
 * `INVALID_SESSION_TOKEN` (401) and a typed `reason`; with a replay guard that cannot answer, with its
 * error (`STORE_UNAVAILABLE`, `CAPACITY_EXHAUSTED`).
 *
 * @example
 * ```ts
 * const verifier = createSessionTokenVerifier({ publicKey: sessionPublicKey, issuer: 'latchkey-router', audience: 'latchkey-sandbox', expectedSessionId: sessionId });
 * const { sessionId } = await verifier.verify(bearerToken);
 * ```
 */
export function createSessionTokenVerifier(options: SessionTokenVerifierOptions): SessionTokenVerifier {
  const publicKey = keyOption('publicKey', options.publicKey, 'public', ES256);
  const { replayGuard, expectedSessionId } = options;
  if (expectedSessionId !== undefined && !isSessionId(expectedSessionId)) {
    throw new TypeError('expectedSessionId must be 1 to 128 URL-safe characters');
  }
  if (replayGuard !== undefined && typeof replayGuard.claim !== 'function')
    throw new TypeError('replayGuard must have claim()');
  const tolerance = toleranceOption(options.clockToleranceSeconds);
  const rules: ClaimRules = {
    issuer: stringOption('issuer', options.issuer),
    audience: stringOption('audience', options.audience),
    isSubject: isSessionId,
    subject: expectedSessionId,
    maxLifetimeSeconds: MAX_SESSION_TTL_SECONDS,
    toleranceSeconds: tolerance,
    requireJti: replayGuard !== undefined,
  };
  const now = clockOption(options.now);
  const cacheMax =
    options.cache === undefined ? 0 : integerOption('cache.max', options.cache.max, 0, 1, 1_000_000);
  const cache = cacheMax === 0 ? undefined : new LRUCache<string, SessionClaims>({ max: cacheMax });

  const reject = (reason: TokenFailureReason): Promise<never> =>
    Promise.reject(new InvalidSessionTokenError(reason));

  const claimOnce = (result: SessionClaims): Promise<SessionClaims> => {
    if (replayGuard === undefined) return Promise.resolve(result);
    return replayGuard
      .claim(`session:${result.tokenId as string}`, (result.expiresAtSeconds + tolerance) * 1000)
      .then(
        (first) => (first === true ? result : reject('replayed')),
        (error: unknown) => {
          throw LatchkeyError.is(error) ? error : new StoreUnavailableError('unexpected-reply');
        },
      );
  };

  const core = createCompactVerifier<SessionClaims>({
    typ: SESSION_TYP,
    keyFor: () => publicKey,
    accept(claims) {
      // Claims are judged only once the signature holds, so a reason such as `expired` always
      // describes an authentic token.
      const reason = checkClaims(claims, rules, Math.floor(now() / 1000));
      if (reason !== undefined) return reason;
      const frozen = deepFreeze(claims);
      return Object.freeze({
        sessionId: frozen.sub as string,
        issuedAtSeconds: frozen.iat as number,
        expiresAtSeconds: frozen.exp as number,
        tokenId: frozen.jti as string | undefined,
        claims: frozen,
      });
    },
    refuse: (reason) => new InvalidSessionTokenError(reason),
  });

  const cached = (token: string): SessionClaims | undefined => {
    if (cache === undefined || typeof token !== 'string') return undefined;
    const hit = cache.get(token);
    if (hit === undefined) return undefined;
    // Entries die at `exp`, whatever the tolerance: a stale hit falls through to a full check.
    if (Math.floor(now() / 1000) < hit.expiresAtSeconds) return hit;
    cache.delete(token);
    return undefined;
  };

  return {
    verify(token: string): Promise<SessionClaims> {
      const hit = cached(token);
      if (hit !== undefined) return claimOnce(hit);
      const verified = core.verify(token);
      if (cache === undefined && replayGuard === undefined) return verified;
      return verified.then((result) => {
        cache?.set(token, result);
        return claimOnce(result);
      });
    },
    verifySync(token: string): SessionClaims {
      if (replayGuard !== undefined)
        throw new TypeError('verifySync cannot consult a replay guard: use verify');
      const hit = cached(token);
      if (hit !== undefined) return hit;
      const result = core.verifySync(token);
      cache?.set(token, result);
      return result;
    },
  };
}
