/**
 * Session tokens: ES256, signed per request by the holder of the session private key, verified by the
 * sandbox with the session public key. This runs on every request, so it is a small compact-JWS path on
 * `node:crypto` rather than jose: the header is precomputed, crypto runs on the libuv threadpool, and
 * every check of the bootstrap path still applies. A differential property test holds it to accepting
 * nothing jose's `jwtVerify` rejects under the same options.
 */
import { sign as cryptoSign, verify as cryptoVerify, type KeyObject, randomFillSync } from 'node:crypto';
import {
  InvalidSessionTokenError,
  LatchkeyError,
  StoreUnavailableError,
  type TokenFailureReason,
} from '@latchkey/errors';
import { LRUCache } from 'lru-cache';
import { DEFAULT_CLOCK_TOLERANCE_SECONDS } from './bootstrap-token.js';
import { type ClaimRules, checkClaims, integerOption, SESSION_ID_PATTERN, stringOption } from './claims.js';
import { checkHeader, decodePayload, decodeSignature, SESSION_TYP, splitCompact } from './compact.js';
import type { ReplayGuard } from './replay-guard.js';
import { derToJoseBase64url, joseToDer, keyFitsAlgorithm } from './signature.js';

/** Default lifetime of a session token, in seconds. */
export const DEFAULT_SESSION_TTL_SECONDS = 300;
/** Hard maximum lifetime of a session token, in seconds. */
export const MAX_SESSION_TTL_SECONDS = 3600;
const MAX_CLOCK_TOLERANCE_SECONDS = 60;

// Claims the signer sets itself; extra claims may not override them.
const REGISTERED = new Set(['iss', 'aud', 'sub', 'iat', 'exp', 'nbf', 'jti']);
const ES256: readonly ['ES256'] = ['ES256'];
const HEADER_SEGMENT = Buffer.from(JSON.stringify({ alg: 'ES256', typ: SESSION_TYP })).toString('base64url');

// 128-bit token ids drawn from a pooled buffer: one randomFillSync per 256 ids instead of one per token.
const ID_BYTES = 16;
const idPool = Buffer.allocUnsafe(ID_BYTES * 256);
let idOffset = idPool.length;
function randomJti(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  const id = idPool.toString('base64url', idOffset, idOffset + ID_BYTES);
  idOffset += ID_BYTES;
  return id;
}

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
  const { privateKey } = options;
  if (privateKey?.type !== 'private' || !keyFitsAlgorithm(privateKey, 'ES256')) {
    throw new TypeError('privateKey must be a P-256 private key');
  }
  const issuer = stringOption('issuer', options.issuer);
  const audience = stringOption('audience', options.audience);
  if (typeof options.sessionId !== 'string' || !SESSION_ID_PATTERN.test(options.sessionId)) {
    throw new TypeError('sessionId must be 1 to 128 URL-safe characters');
  }
  const ttl = integerOption(
    'ttlSeconds',
    options.ttlSeconds,
    DEFAULT_SESSION_TTL_SECONDS,
    1,
    MAX_SESSION_TTL_SECONDS,
  );
  const now = options.now ?? Date.now;
  const withJti = options.withJti ?? true;
  // The fixed claims are encoded once. Padded with JSON whitespace to a multiple of 3 bytes, their
  // base64url text is a prefix of every token's claims segment, so only the varying tail is encoded.
  let fixedClaims = `{"iss":${JSON.stringify(issuer)},"aud":${JSON.stringify(audience)},"sub":${JSON.stringify(options.sessionId)},`;
  while (Buffer.byteLength(fixedClaims) % 3 !== 0) fixedClaims += ' ';
  const fixedPrefix = `${HEADER_SEGMENT}.${Buffer.from(fixedClaims).toString('base64url')}`;

  const signingInput = (extraClaims: ExtraClaims | undefined): string => {
    const iat = Math.floor(now() / 1000);
    let json = `"iat":${iat},"exp":${iat + ttl}`;
    if (withJti) json += `,"jti":"${randomJti()}"`;
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
      return new Promise((resolve, reject) => {
        cryptoSign('sha256', Buffer.from(input, 'latin1'), privateKey, (error, der) => {
          if (error) reject(error);
          else resolve(`${input}.${derToJoseBase64url(der)}`);
        });
      });
    },
    signSync(extraClaims?: ExtraClaims): string {
      const input = signingInput(extraClaims);
      return `${input}.${derToJoseBase64url(cryptoSign('sha256', Buffer.from(input, 'latin1'), privateKey))}`;
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
  readonly issuedAt: number;
  /** `exp`, in epoch seconds. */
  readonly expiresAt: number;
  readonly jti: string | undefined;
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
  readonly sessionId?: string;
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
  verify(token: string): Promise<SessionClaims>;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/**
 * Creates a session-token verifier. `verify` resolves the claims or rejects with
 * `INVALID_SESSION_TOKEN` (401) and a typed `reason`; with a replay guard that cannot answer, with its
 * error (`STORE_UNAVAILABLE`, `CAPACITY_EXHAUSTED`).
 *
 * @example
 * ```ts
 * const verifier = createSessionTokenVerifier({ publicKey: sessionPublicKey, issuer: 'latchkey-router', audience: 'latchkey-sandbox', sessionId });
 * const { sessionId } = await verifier.verify(bearerToken);
 * ```
 */
export function createSessionTokenVerifier(options: SessionTokenVerifierOptions): SessionTokenVerifier {
  const { publicKey, replayGuard } = options;
  if (publicKey?.type !== 'public' || !keyFitsAlgorithm(publicKey, 'ES256')) {
    throw new TypeError('publicKey must be a P-256 public key');
  }
  if (options.sessionId !== undefined && !SESSION_ID_PATTERN.test(options.sessionId)) {
    throw new TypeError('sessionId must be 1 to 128 URL-safe characters');
  }
  if (replayGuard !== undefined && typeof replayGuard.claim !== 'function')
    throw new TypeError('replayGuard must have claim()');
  const tolerance = integerOption(
    'clockToleranceSeconds',
    options.clockToleranceSeconds,
    DEFAULT_CLOCK_TOLERANCE_SECONDS,
    0,
    MAX_CLOCK_TOLERANCE_SECONDS,
  );
  const rules: ClaimRules = {
    issuer: stringOption('issuer', options.issuer),
    audience: stringOption('audience', options.audience),
    subject: options.sessionId,
    maxLifetimeSeconds: MAX_SESSION_TTL_SECONDS,
    toleranceSeconds: tolerance,
    requireJti: replayGuard !== undefined,
  };
  const now = options.now ?? Date.now;
  const cacheMax =
    options.cache === undefined ? 0 : integerOption('cache.max', options.cache.max, 0, 1, 1_000_000);
  const cache = cacheMax === 0 ? undefined : new LRUCache<string, SessionClaims>({ max: cacheMax });
  // Header segments other than the signer's own that passed the header checks; small and never evicting.
  const goodHeaders = new Set<string>([HEADER_SEGMENT]);

  const reject = (reason: TokenFailureReason): Promise<never> =>
    Promise.reject(new InvalidSessionTokenError(reason));

  const claimOnce = (result: SessionClaims): Promise<SessionClaims> => {
    if (replayGuard === undefined) return Promise.resolve(result);
    return replayGuard.claim(`session:${result.jti as string}`, (result.expiresAt + tolerance) * 1000).then(
      (first) => (first === true ? result : reject('replayed')),
      (error: unknown) => {
        throw LatchkeyError.is(error) ? error : new StoreUnavailableError('unexpected-reply');
      },
    );
  };

  return {
    verify(token: string): Promise<SessionClaims> {
      if (cache !== undefined && typeof token === 'string') {
        const hit = cache.get(token);
        if (hit !== undefined) {
          // Entries die at `exp`, whatever the tolerance: a stale hit falls through to a full check.
          if (Math.floor(now() / 1000) < hit.expiresAt) return claimOnce(hit);
          cache.delete(token);
        }
      }
      const parts = splitCompact(token);
      if (typeof parts === 'string') return reject(parts);
      if (!goodHeaders.has(parts.header)) {
        const header = checkHeader(parts.header, SESSION_TYP, ES256);
        if (typeof header === 'string') return reject(header);
        if (goodHeaders.size < 64) goodHeaders.add(parts.header);
      }
      const signature = decodeSignature(parts.signature);
      if (typeof signature === 'string') return reject(signature);
      if (signature.length !== 64) return reject('bad-signature');
      return new Promise<SessionClaims>((resolve, fail) => {
        // The signature check runs on the threadpool; the claims are decoded on this thread meanwhile,
        // so one-at-a-time latency is the crypto's, not crypto plus parsing.
        let result: SessionClaims | undefined;
        let claims: Record<string, unknown> | undefined;
        cryptoVerify(
          'sha256',
          Buffer.from(parts.signingInput, 'latin1'),
          publicKey,
          joseToDer(signature),
          (error, valid) => {
            if (claims === undefined || result === undefined) return; // already refused as malformed
            if (error !== null || valid !== true) return fail(new InvalidSessionTokenError('bad-signature'));
            // Claims are judged only once the signature holds, so a reason such as `expired` always
            // describes an authentic token.
            const reason = checkClaims(claims, rules, Math.floor(now() / 1000));
            if (reason !== undefined) return fail(new InvalidSessionTokenError(reason));
            if (cache !== undefined) cache.set(token, result);
            // Without a replay guard, resolve directly: no extra promise, no extra microtask turns.
            resolve(replayGuard === undefined ? result : claimOnce(result));
          },
        );
        const decoded = decodePayload(parts.payload);
        if (typeof decoded === 'string') return fail(new InvalidSessionTokenError(decoded));
        claims = decoded;
        result = Object.freeze({
          sessionId: decoded.sub as string,
          issuedAt: decoded.iat as number,
          expiresAt: decoded.exp as number,
          jti: decoded.jti as string | undefined,
          claims: deepFreeze(decoded),
        });
      });
    },
  };
}
