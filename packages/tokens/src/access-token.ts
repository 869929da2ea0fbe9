/**
 * Access tokens: issued to a logged-in user of a dashboard-like service (the console) and verified on
 * every request. ES256 only, `typ: "latchkey-access+jwt"`, any user id as `sub`, the issue time in
 * milliseconds beside `iat` (`iat_ms`, so a login right after a logout in the same second is told
 * apart), a lifetime cap, a 128-bit `jti`, and typed custom claims. They are signed and verified on the
 * same strict compact path as session tokens (`es256-compact.ts`); a differential property test holds
 * the verifier to accepting nothing jose's `jwtVerify` rejects.
 */
import type { KeyObject } from 'node:crypto';
import { type TokenFailureReason, UnauthenticatedError } from '@latchkey/errors';
import { type ClaimRules, checkClaims, deepFreeze, isUserId } from './claims.js';
import { ACCESS_TYP } from './compact.js';
import { createCompactVerifier, es256HeaderSegment, signCompact, signCompactSync } from './es256-compact.js';
import {
  clockOption,
  functionOption,
  integerOption,
  keyOption,
  stringOption,
  toleranceOption,
} from './options.js';
import { MIN_RANDOM_ID_LENGTH, randomTokenId } from './random-id.js';

/** Default lifetime of an access token, in seconds. */
export const DEFAULT_ACCESS_TTL_SECONDS = 3600;
/** Hard maximum lifetime of an access token, in seconds; longer lifetimes are refused on verify too. */
export const MAX_ACCESS_TTL_SECONDS = 86_400;

const ES256 = ['ES256'] as const;

/** Claim names the issuer sets itself; custom claims can never set them. */
export type RegisteredAccessClaim = 'iss' | 'aud' | 'sub' | 'iat' | 'iat_ms' | 'exp' | 'nbf' | 'jti';
const REGISTERED: ReadonlySet<string> = new Set<RegisteredAccessClaim>([
  'iss',
  'aud',
  'sub',
  'iat',
  'iat_ms',
  'exp',
  'nbf',
  'jti',
]);

/** The shape custom claims must have: JSON values under names other than the registered ones. */
export type CustomClaims = Readonly<Record<string, unknown>> & {
  readonly [Name in RegisteredAccessClaim]?: never;
};

/** The custom-claims argument of `issue`: optional when `Custom` has no required member. */
// biome-ignore lint/complexity/noBannedTypes: `{}` is the "no custom claims" default of the generic.
export type CustomArgument<Custom> = {} extends Custom ? [custom?: Custom] : [custom: Custom];

/** The claims of an access token (issued or verified). */
export interface AccessClaims<Custom = Readonly<Record<string, unknown>>> {
  /** `sub`: the user id. */
  readonly userId: string;
  /** `iat`, in epoch seconds. */
  readonly issuedAtSeconds: number;
  /** `iat_ms`, the issue time in epoch milliseconds (`floor(issuedAtMs / 1000) = issuedAtSeconds`). */
  readonly issuedAtMs: number;
  /** `exp`, in epoch seconds. */
  readonly expiresAtSeconds: number;
  /** `jti`: 128 random bits. */
  readonly tokenId: string;
  /** The custom claims (after `validateCustom` on verify), deeply frozen. */
  readonly custom: Custom;
  /** The whole claims set (registered and custom), deeply frozen. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** A freshly issued access token with its claims. */
export interface IssuedAccessToken<Custom = Readonly<Record<string, unknown>>> {
  readonly token: string;
  readonly claims: AccessClaims<Custom>;
}

/** Options of {@link createAccessTokenIssuer}. */
export interface AccessTokenIssuerOptions {
  /** The signing key (P-256 private), e.g. from `importPrivateKeyText(text, 'ES256')`. */
  readonly privateKey: KeyObject;
  readonly issuer: string;
  readonly audience: string;
  /** Lifetime in seconds; default 3600, at most 86,400. */
  readonly ttlSeconds?: number;
  /** Put this `kid` in every header, for a verifier configured with a rotation set (`keys`). */
  readonly kid?: string;
  /** Clock in epoch milliseconds; defaults to `Date.now`. */
  readonly now?: () => number;
  /** Source of `jti` values; must return at least 128 random bits (22+ characters). Default: pooled `randomFillSync`. */
  readonly randomId?: () => string;
}

/** Issues access tokens. */
// biome-ignore lint/complexity/noBannedTypes: `{}` is the "no custom claims" default of the generic.
export interface AccessTokenIssuer<Custom extends CustomClaims = {}> {
  /** The lifetime of every token issued, in seconds. */
  readonly ttlSeconds: number;
  /** Signs on the threadpool; the event loop is not blocked. */
  issue(userId: string, ...custom: CustomArgument<Custom>): Promise<IssuedAccessToken<Custom>>;
  /** Signs on the calling thread. */
  issueSync(userId: string, ...custom: CustomArgument<Custom>): IssuedAccessToken<Custom>;
}

function customJson(custom: unknown): string {
  if (custom === undefined) return '';
  if (typeof custom !== 'object' || custom === null || Array.isArray(custom)) {
    throw new TypeError('custom claims must be a plain object');
  }
  for (const name of Object.keys(custom)) {
    if (REGISTERED.has(name)) throw new TypeError(`custom claims may not set ${name}`);
  }
  const json = JSON.stringify(custom);
  return json.length <= 2 ? '' : json.slice(1, -1);
}

/**
 * Creates an access-token issuer (the service that logs users in). `Custom` types the custom claims;
 * registered claim names (`iss`, `sub`, `exp`, …) can never be set through them.
 *
 * @example
 * ```ts
 * const tokens = createAccessTokenIssuer<{ role: 'viewer' | 'editor' }>({ privateKey, issuer: 'console', audience: 'console' });
 * const { token, claims } = await tokens.issue('alice', { role: 'editor' });
 * ```
 */
// biome-ignore lint/complexity/noBannedTypes: `{}` is the "no custom claims" default of the generic.
export function createAccessTokenIssuer<Custom extends CustomClaims = {}>(
  options: AccessTokenIssuerOptions,
): AccessTokenIssuer<Custom> {
  const privateKey = keyOption('privateKey', options.privateKey, 'private', ES256);
  const issuer = stringOption('issuer', options.issuer);
  const audience = stringOption('audience', options.audience);
  const ttlSeconds = integerOption(
    'ttlSeconds',
    options.ttlSeconds,
    DEFAULT_ACCESS_TTL_SECONDS,
    1,
    MAX_ACCESS_TTL_SECONDS,
  );
  if (options.kid !== undefined) stringOption('kid', options.kid);
  const now = clockOption(options.now);
  const randomId = functionOption('randomId', options.randomId) ?? randomTokenId;
  // The fixed claims are encoded once. Padded with JSON whitespace to a multiple of 3 bytes, their
  // base64url text is a prefix of every token's claims segment, so only the varying tail is encoded.
  let fixedClaims = `{"iss":${JSON.stringify(issuer)},"aud":${JSON.stringify(audience)},`;
  while (Buffer.byteLength(fixedClaims) % 3 !== 0) fixedClaims += ' ';
  const fixedPrefix = `${es256HeaderSegment(ACCESS_TYP, options.kid)}.${Buffer.from(fixedClaims).toString('base64url')}`;

  const prepare = (userId: string, custom: unknown): { input: string; claims: AccessClaims<Custom> } => {
    if (!isUserId(userId)) throw new TypeError('userId must be 1 to 256 characters, no control characters');
    const extra = customJson(custom);
    const jti = randomId();
    if (typeof jti !== 'string' || jti.length < MIN_RANDOM_ID_LENGTH || jti.length > 256) {
      throw new TypeError('randomId must return at least 128 random bits (22 to 256 characters)');
    }
    const issuedAtMs = Math.floor(now());
    const iat = Math.floor(issuedAtMs / 1000);
    const exp = iat + ttlSeconds;
    let json = `"sub":${JSON.stringify(userId)},"iat":${iat},"iat_ms":${issuedAtMs},"exp":${exp},"jti":${JSON.stringify(jti)}`;
    if (extra !== '') json += `,${extra}`;
    const copy = extra === '' ? {} : (JSON.parse(`{${extra}}`) as Record<string, unknown>);
    const claims: AccessClaims<Custom> = Object.freeze({
      userId,
      issuedAtSeconds: iat,
      issuedAtMs,
      expiresAtSeconds: exp,
      tokenId: jti,
      custom: deepFreeze(copy) as unknown as Custom,
      claims: Object.freeze({
        iss: issuer,
        aud: audience,
        sub: userId,
        iat,
        iat_ms: issuedAtMs,
        exp,
        jti,
        ...copy,
      }),
    });
    return { input: fixedPrefix + Buffer.from(`${json}}`).toString('base64url'), claims };
  };

  return {
    ttlSeconds,
    issue(userId: string, ...custom: CustomArgument<Custom>): Promise<IssuedAccessToken<Custom>> {
      let prepared: { input: string; claims: AccessClaims<Custom> };
      try {
        prepared = prepare(userId, custom[0]);
      } catch (error) {
        return Promise.reject(error);
      }
      return signCompact(privateKey, prepared.input).then((token) => ({ token, claims: prepared.claims }));
    },
    issueSync(userId: string, ...custom: CustomArgument<Custom>): IssuedAccessToken<Custom> {
      const { input, claims } = prepare(userId, custom[0]);
      return { token: signCompactSync(privateKey, input), claims };
    },
  };
}

/** Options of {@link createAccessTokenVerifier}: exactly one of `publicKey` and `keys`. */
export interface AccessTokenVerifierOptions<Custom> {
  /** The one verification key (P-256 public); a `kid` in the header, if any, is ignored. */
  readonly publicKey?: KeyObject;
  /**
   * A rotation set, `kid` → P-256 public key: a token's `kid` must name one of them. The `kid` only ever
   * picks among these keys; it never brings or fetches one.
   */
  readonly keys?: Readonly<Record<string, KeyObject>> | ReadonlyMap<string, KeyObject>;
  readonly issuer: string;
  readonly audience: string;
  /** Clock tolerance in seconds; default 5, at most 60. */
  readonly clockToleranceSeconds?: number;
  /** Clock in epoch milliseconds; defaults to `Date.now`. */
  readonly now?: () => number;
  /**
   * Checks the custom (non-registered) claims of an authentic token and returns them typed; anything
   * it throws refuses the token (`invalid-claim`). Without it, the custom claims are passed as they are.
   */
  readonly validateCustom?: (custom: Readonly<Record<string, unknown>>) => Custom;
}

/** Verifies access tokens. */
export interface AccessTokenVerifier<Custom> {
  /** Verifies with the signature check on the threadpool. */
  verify(token: string): Promise<AccessClaims<Custom>>;
  /** Verifies on the calling thread. */
  verifySync(token: string): AccessClaims<Custom>;
}

function keyRing(
  options: AccessTokenVerifierOptions<unknown>,
): (kid: string | undefined) => KeyObject | TokenFailureReason {
  const { publicKey, keys } = options;
  if ((publicKey === undefined) === (keys === undefined)) {
    throw new TypeError('give exactly one of publicKey and keys');
  }
  if (publicKey !== undefined) {
    const key = keyOption('publicKey', publicKey, 'public', ES256);
    return () => key;
  }
  const entries =
    keys instanceof Map ? [...keys.entries()] : Object.entries(keys as Readonly<Record<string, KeyObject>>);
  if (entries.length === 0) throw new TypeError('keys must not be empty');
  const ring = new Map<string, KeyObject>();
  for (const [kid, key] of entries) {
    stringOption('a kid in keys', kid);
    ring.set(kid, keyOption(`keys[${JSON.stringify(kid)}]`, key, 'public', ES256));
  }
  // No `kid`, or one naming no configured key: no key can verify the token.
  return (kid) => (kid === undefined ? 'bad-signature' : (ring.get(kid) ?? 'bad-signature'));
}

/**
 * Creates an access-token verifier. Every failure is `UNAUTHENTICATED` (401) with the
 * `TokenFailureReason` that refused the token; claim reasons are reported only for authentic tokens.
 *
 * @example
 * ```ts
 * const verifier = createAccessTokenVerifier({ publicKey, issuer: 'console', audience: 'console',
 *   validateCustom: (c) => ({ role: c.role === 'editor' ? 'editor' : 'viewer' }) });
 * const { userId, issuedAtMs, custom } = await verifier.verify(bearerToken);
 * ```
 */
export function createAccessTokenVerifier<Custom = Readonly<Record<string, unknown>>>(
  options: AccessTokenVerifierOptions<Custom>,
): AccessTokenVerifier<Custom> {
  const keyFor = keyRing(options);
  const tolerance = toleranceOption(options.clockToleranceSeconds);
  const rules: ClaimRules = {
    issuer: stringOption('issuer', options.issuer),
    audience: stringOption('audience', options.audience),
    isSubject: isUserId,
    subject: undefined,
    maxLifetimeSeconds: MAX_ACCESS_TTL_SECONDS,
    toleranceSeconds: tolerance,
    requireJti: true,
  };
  const now = clockOption(options.now);
  const validateCustom = functionOption('validateCustom', options.validateCustom);

  const accept = (claims: Record<string, unknown>): AccessClaims<Custom> | TokenFailureReason => {
    const reason = checkClaims(claims, rules, Math.floor(now() / 1000));
    if (reason !== undefined) return reason;
    const issuedAtMs = claims.iat_ms;
    if (issuedAtMs === undefined) return 'missing-claim';
    if (!Number.isSafeInteger(issuedAtMs) || Math.floor((issuedAtMs as number) / 1000) !== claims.iat) {
      return 'invalid-claim';
    }
    const frozen = deepFreeze(claims);
    let custom: Record<string, unknown> = {};
    for (const name in frozen) if (!REGISTERED.has(name)) custom[name] = frozen[name];
    custom = Object.freeze(custom);
    let typed: Custom;
    if (validateCustom === undefined) typed = custom as Custom;
    else {
      try {
        typed = deepFreeze(validateCustom(custom));
      } catch {
        return 'invalid-claim';
      }
    }
    return Object.freeze({
      userId: frozen.sub as string,
      issuedAtSeconds: frozen.iat as number,
      issuedAtMs: issuedAtMs as number,
      expiresAtSeconds: frozen.exp as number,
      tokenId: frozen.jti as string,
      custom: typed,
      claims: frozen,
    });
  };

  return createCompactVerifier({
    typ: ACCESS_TYP,
    keyFor,
    accept,
    refuse: (reason) => new UnauthenticatedError(reason),
  });
}

/** Options of {@link createAccessTokenRefresher}. */
// biome-ignore lint/complexity/noBannedTypes: `{}` is the "no custom claims" default of the generic.
export interface AccessTokenRefresherOptions<Custom extends CustomClaims = {}> {
  /** The issuer of the new tokens. */
  readonly issuer: AccessTokenIssuer<Custom>;
  /** Refresh a token whose `exp` is at most this many seconds away; less than the issuer's lifetime. */
  readonly refreshWithinSeconds: number;
  /** Clock in epoch milliseconds; defaults to `Date.now`. */
  readonly now?: () => number;
}

/** Issues a new token for a verified one near its end (a "silent refresh"). */
// biome-ignore lint/complexity/noBannedTypes: `{}` is the "no custom claims" default of the generic.
export interface AccessTokenRefresher<Custom extends CustomClaims = {}> {
  /**
   * A new token (same user, same custom claims, fresh `iat`/`iat_ms`/`jti`) when `claims` expire within
   * the window, `undefined` otherwise. Give it only claims that were just verified (and checked for
   * revocation): it does not verify anything itself.
   */
  refresh(claims: AccessClaims<Custom>): IssuedAccessToken<Custom> | undefined;
}

/**
 * Creates a refresher: on each authenticated request, `refresh(claims)` hands back a replacement token
 * once the current one is within `refreshWithinSeconds` of its end.
 *
 * @example
 * ```ts
 * const refresher = createAccessTokenRefresher({ issuer: tokens, refreshWithinSeconds: 600 });
 * const fresh = refresher.refresh(await verifier.verify(token));
 * if (fresh !== undefined) response.headers.append('set-cookie', serializeAuthCookie(fresh.token, { expiresAtSeconds: fresh.claims.expiresAtSeconds }));
 * ```
 */
// biome-ignore lint/complexity/noBannedTypes: `{}` is the "no custom claims" default of the generic.
export function createAccessTokenRefresher<Custom extends CustomClaims = {}>(
  options: AccessTokenRefresherOptions<Custom>,
): AccessTokenRefresher<Custom> {
  const { issuer } = options;
  if (typeof issuer?.issueSync !== 'function') throw new TypeError('issuer must be an access-token issuer');
  const lifetime = Number.isInteger(issuer.ttlSeconds) ? issuer.ttlSeconds : MAX_ACCESS_TTL_SECONDS + 1;
  const window = integerOption(
    'refreshWithinSeconds',
    options.refreshWithinSeconds,
    0,
    1,
    Math.min(lifetime, MAX_ACCESS_TTL_SECONDS + 1) - 1,
  );
  const now = clockOption(options.now);
  return {
    refresh(claims: AccessClaims<Custom>): IssuedAccessToken<Custom> | undefined {
      if (typeof claims?.expiresAtSeconds !== 'number' || !isUserId(claims.userId)) {
        throw new TypeError('claims must be verified access-token claims');
      }
      if (claims.expiresAtSeconds - Math.floor(now() / 1000) > window) return undefined;
      return issuer.issueSync(claims.userId, ...([claims.custom] as CustomArgument<Custom>));
    },
  };
}
