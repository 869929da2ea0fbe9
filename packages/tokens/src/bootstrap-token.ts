/**
 * Bootstrap tokens: signed once per session by its creator, verified once by the sandbox on `/init`.
 * They carry the session id (`sub`) and the session public key (`session_public_key`). Signing and
 * signature verification go through jose; the checks jose does not do by default are added around it.
 */
import type { KeyObject } from 'node:crypto';
import {
  InvalidBootstrapTokenError,
  LatchkeyError,
  StoreUnavailableError,
  type TokenFailureReason,
} from '@latchkey/errors';
import { jwtVerify, SignJWT } from 'jose';
import type { BootstrapAlgorithm } from './bootstrap-keys.js';
import { type ClaimRules, checkClaims, deepFreeze, isSessionId } from './claims.js';
import { BOOTSTRAP_TYP, checkHeader, decodePayload, decodeSignature, splitCompact } from './compact.js';
import {
  clockOption,
  functionOption,
  integerOption,
  isKeyObject,
  keyOption,
  stringOption,
  toleranceOption,
} from './options.js';
import { MIN_RANDOM_ID_LENGTH, randomTokenId } from './random-id.js';
import type { ReplayGuard } from './replay-guard.js';
import { exportSessionPublicJwk, parseSessionPublicJwk, type SessionPublicJwk } from './session-keys.js';

/** Hard maximum lifetime of a bootstrap token, in seconds. */
export const MAX_BOOTSTRAP_TTL_SECONDS = 300;
/** Default lifetime of a bootstrap token, in seconds. */
export const DEFAULT_BOOTSTRAP_TTL_SECONDS = 60;

/** Options of {@link createBootstrapIssuer}. */
export interface BootstrapIssuerOptions {
  /** Private key that signs bootstrap tokens (see `importBootstrapPrivateKey`). */
  readonly privateKey: KeyObject;
  /** Signing algorithm; default `RS256`. */
  readonly algorithm?: BootstrapAlgorithm;
  readonly issuer: string;
  readonly audience: string;
  /** Lifetime in seconds; default 60, at most 300. */
  readonly ttlSeconds?: number;
  /** Clock in epoch milliseconds; defaults to `Date.now`. */
  readonly now?: () => number;
  /** Source of `jti` values; must return at least 128 random bits. Default: 16 random bytes, base64url. */
  readonly randomId?: () => string;
}

/** What a bootstrap token is issued for. */
export interface BootstrapSubject {
  /** The session id: URL-safe characters, 1 to 128 long. */
  readonly sessionId: string;
  /** The session public key (P-256), as a KeyObject or a public JWK. */
  readonly sessionPublicKey: KeyObject | SessionPublicJwk;
}

/** Issues bootstrap tokens. */
export interface BootstrapIssuer {
  issue(subject: BootstrapSubject): Promise<string>;
}

/**
 * Creates a bootstrap-token issuer (the session creator's side).
 *
 * @example
 * ```ts
 * const issuer = createBootstrapIssuer({ privateKey, issuer: 'latchkey-router', audience: 'latchkey-sandbox' });
 * const { privateKey: sessionKey, publicJwk } = await generateSessionKeyPair();
 * const token = await issuer.issue({ sessionId: 'sess_123', sessionPublicKey: publicJwk });
 * ```
 */
export function createBootstrapIssuer(options: BootstrapIssuerOptions): BootstrapIssuer {
  const algorithm = options.algorithm ?? 'RS256';
  const privateKey = keyOption('privateKey', options.privateKey, 'private', [algorithm]);
  const issuer = stringOption('issuer', options.issuer);
  const audience = stringOption('audience', options.audience);
  const ttl = integerOption(
    'ttlSeconds',
    options.ttlSeconds,
    DEFAULT_BOOTSTRAP_TTL_SECONDS,
    1,
    MAX_BOOTSTRAP_TTL_SECONDS,
  );
  const now = clockOption(options.now);
  const randomId = functionOption('randomId', options.randomId) ?? randomTokenId;

  return {
    async issue(subject: BootstrapSubject): Promise<string> {
      if (!isSessionId(subject?.sessionId)) {
        throw new TypeError('sessionId must be 1 to 128 URL-safe characters');
      }
      const sessionPublicJwk = toPublicJwk(subject.sessionPublicKey);
      const jti = randomId();
      if (typeof jti !== 'string' || jti.length < MIN_RANDOM_ID_LENGTH || jti.length > 256)
        throw new TypeError('randomId must return at least 128 random bits (22 to 256 characters)');
      const iat = Math.floor(now() / 1000);
      return new SignJWT({ session_public_key: { ...sessionPublicJwk } })
        .setProtectedHeader({ alg: algorithm, typ: BOOTSTRAP_TYP })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(subject.sessionId)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttl)
        .setJti(jti)
        .sign(privateKey);
    },
  };
}

function toPublicJwk(key: KeyObject | SessionPublicJwk): SessionPublicJwk {
  if (isKeyObject(key)) return exportSessionPublicJwk(key);
  const parsed = parseSessionPublicJwk(key);
  if (parsed === undefined) throw new TypeError('sessionPublicKey must be a public P-256 key');
  return parsed.jwk;
}

/** Options of {@link createBootstrapVerifier}. */
export interface BootstrapVerifierOptions {
  /** Public key that verifies bootstrap tokens (see `importBootstrapPublicKey`). */
  readonly publicKey: KeyObject;
  /** Allowed algorithms; default `['RS256']`. Every one must fit `publicKey`. */
  readonly algorithms?: readonly BootstrapAlgorithm[];
  readonly issuer: string;
  readonly audience: string;
  /** When set, `sub` must equal it. */
  readonly expectedSessionId?: string;
  /** Claims each `jti` until `exp` + tolerance, so a bootstrap token is accepted once. Required. */
  readonly replayGuard: ReplayGuard;
  /** Clock tolerance in seconds; default 5, at most 60. */
  readonly clockToleranceSeconds?: number;
  /** Clock in epoch milliseconds; defaults to `Date.now`. */
  readonly now?: () => number;
}

/** A verified bootstrap token. */
export interface VerifiedBootstrap {
  readonly sessionId: string;
  /** The session public key, ready to verify session tokens. */
  readonly sessionPublicKey: KeyObject;
  readonly sessionPublicJwk: SessionPublicJwk;
  /** `jti` (always present in a bootstrap token), claimed once in the replay guard. */
  readonly tokenId: string;
  /** `iat`, in epoch seconds. */
  readonly issuedAtSeconds: number;
  /** `exp`, in epoch seconds. */
  readonly expiresAtSeconds: number;
  /** The whole claims set, deeply frozen. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Verifies bootstrap tokens. */
export interface BootstrapVerifier {
  verify(token: string): Promise<VerifiedBootstrap>;
}

// jose error codes → reasons. The jose error itself is never attached: JWTClaimValidationFailed carries
// the whole claims set in `.payload`, which must not reach logs.
function joseReason(error: unknown): TokenFailureReason {
  const { code, claim } = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    claim?: unknown;
  };
  switch (code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad-signature';
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'alg-not-allowed';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if ((error as { reason?: unknown }).reason === 'missing') return 'missing-claim';
      if (claim === 'iss') return 'issuer';
      if (claim === 'aud') return 'audience';
      if (claim === 'sub') return 'subject';
      if (claim === 'nbf') return 'not-yet-valid';
      if (claim === 'typ') return 'wrong-type';
      return 'invalid-claim';
    default:
      return 'malformed';
  }
}

/**
 * Creates a bootstrap-token verifier (the sandbox's side of `/init`). `verify` resolves the session id
 * and session public key, or rejects with `INVALID_BOOTSTRAP_TOKEN` (401) and a typed `reason`; a
 * replay guard that cannot answer rejects with its own error (`STORE_UNAVAILABLE`, `CAPACITY_EXHAUSTED`).
 *
 * @example
 * ```ts
 * const verifier = createBootstrapVerifier({
 *   publicKey: importBootstrapPublicKey(pem), issuer: 'latchkey-router', audience: 'latchkey-sandbox',
 *   replayGuard: createMemoryReplayGuard({ max: 1000 }),
 * });
 * const { sessionId, sessionPublicKey } = await verifier.verify(token);
 * ```
 */
export function createBootstrapVerifier(options: BootstrapVerifierOptions): BootstrapVerifier {
  const { replayGuard } = options;
  const algorithms = [...(options.algorithms ?? ['RS256'])];
  if (algorithms.length === 0) throw new TypeError('algorithms must not be empty');
  const publicKey = keyOption('publicKey', options.publicKey, 'public', algorithms);
  if (typeof replayGuard?.claim !== 'function') throw new TypeError('replayGuard is required');
  const tolerance = toleranceOption(options.clockToleranceSeconds);
  const { expectedSessionId } = options;
  if (expectedSessionId !== undefined && !isSessionId(expectedSessionId)) {
    throw new TypeError('expectedSessionId must be 1 to 128 URL-safe characters');
  }
  const rules: ClaimRules = {
    issuer: stringOption('issuer', options.issuer),
    audience: stringOption('audience', options.audience),
    isSubject: isSessionId,
    subject: expectedSessionId,
    maxLifetimeSeconds: MAX_BOOTSTRAP_TTL_SECONDS,
    toleranceSeconds: tolerance,
    requireJti: true,
  };
  const now = clockOption(options.now);
  const fail = (reason: TokenFailureReason): never => {
    throw new InvalidBootstrapTokenError(reason);
  };

  return {
    async verify(token: string): Promise<VerifiedBootstrap> {
      const parts = splitCompact(token);
      if (typeof parts === 'string') return fail(parts);
      const header = checkHeader(parts.header, BOOTSTRAP_TYP, algorithms);
      if (typeof header === 'string') return fail(header);
      const claims = decodePayload(parts.payload);
      if (typeof claims === 'string') return fail(claims);
      const signature = decodeSignature(parts.signature);
      if (typeof signature === 'string') return fail(signature);

      const nowMs = now();
      try {
        await jwtVerify(token, publicKey, {
          algorithms: [header.alg],
          typ: BOOTSTRAP_TYP,
          issuer: rules.issuer,
          audience: rules.audience,
          clockTolerance: tolerance,
          currentDate: new Date(nowMs),
          requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        });
      } catch (error) {
        return fail(joseReason(error));
      }
      const reason = checkClaims(claims, rules, Math.floor(nowMs / 1000));
      if (reason !== undefined) return fail(reason);
      if (claims.session_public_key === undefined) return fail('missing-claim');
      const session = parseSessionPublicJwk(claims.session_public_key);
      if (session === undefined) return fail('invalid-session-key');

      // checkClaims has established these types.
      const jti = claims.jti as string;
      const exp = claims.exp as number;
      let first: boolean;
      try {
        first = await replayGuard.claim(`bootstrap:${jti}`, (exp + tolerance) * 1000);
      } catch (error) {
        if (LatchkeyError.is(error)) throw error;
        throw new StoreUnavailableError('unexpected-reply');
      }
      if (first !== true) return fail('replayed');
      return Object.freeze({
        sessionId: claims.sub as string,
        sessionPublicKey: session.key,
        sessionPublicJwk: session.jwk,
        tokenId: jti,
        issuedAtSeconds: claims.iat as number,
        expiresAtSeconds: exp,
        claims: deepFreeze(claims),
      });
    },
  };
}
