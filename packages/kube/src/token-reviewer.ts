import { LatchkeyError, UnauthenticatedError, type UpstreamUnavailableError } from '@latchkey/errors';
import { createKubeApiClient, type KubeApiClient } from './api-client.js';
import { type CacheKeyer, createCacheKeyer } from './cache-key.js';
import type { Credential } from './credential.js';
import { createExpiryTable } from './expiry-table.js';
import { type KubeIdentity, type RefusalReason, readTokenReview, refusalError } from './identity.js';
import { createSingleFlight } from './single-flight.js';
import { checkTokenShape, MAX_TOKEN_BYTES } from './token-shape.js';

export const TOKEN_REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';

/** How to reach the API server: a shared client, or the address and CA to make one. */
export type KubeConnection =
  | { readonly client: KubeApiClient; readonly apiServer?: never; readonly ca?: never }
  | {
      readonly client?: never;
      /** `https://host:port` of the API server. */
      readonly apiServer: string;
      /** PEM bundle trusted for the API server. */
      readonly ca: string | Buffer | readonly (string | Buffer)[];
      /** Deadline of one review, connection included. Default 5000. */
      readonly timeoutMs?: number;
    };

/** Cache and concurrency settings shared by both reviewers. */
export interface ReviewCacheOptions {
  /** Entries in the positive (allow) table. Default 10 000. */
  readonly maxEntries?: number;
  /** Entries in the separate negative (refusal) table. Default 1 000. */
  readonly maxNegativeEntries?: number;
  /** Distinct reviews in flight at once; one more is `CAPACITY_EXHAUSTED`. Default 256. */
  readonly maxInFlight?: number;
  /** Clock in ms. Default `Date.now`. */
  readonly now?: () => number;
  /** The keyed hash behind cache keys. Default: HMAC-SHA256 with a random per-process key. */
  readonly keyer?: CacheKeyer;
  /**
   * Told of every 502 before it is thrown. `reviewer-credential-refused` means the API server refused
   * OUR credential (expired token, missing RBAC): an operator problem to log loudly.
   */
  readonly onUpstreamError?: (error: UpstreamUnavailableError) => void;
}

/** Options of {@link createTokenReviewer}. */
export type TokenReviewerOptions = KubeConnection &
  ReviewCacheOptions & {
    /** The reviewer's own bearer token, e.g. {@link tokenFileCredential}. */
    readonly credential: Credential;
    /** Audiences sent as `spec.audiences`; the token must carry one of them. Non-empty. */
    readonly audiences: readonly string[];
    /**
     * Usernames accepted although they are not service accounts. Empty by default: only service
     * accounts pass, and the reviewer's own identity is never implicitly an admin.
     */
    readonly adminPrincipals?: readonly string[];
    /** How long a positive review is reused, capped by the token's `exp`. Default 10 000. */
    readonly positiveTtlMs?: number;
    /** How long a refusal (401/403) is reused. Default 2 000. */
    readonly negativeTtlMs?: number;
  };

/** Options of one review. */
export interface ReviewOptions {
  /** Ends this caller's wait; a review shared with other callers keeps running for them. */
  readonly signal?: AbortSignal;
}

/** Reviews callers' service-account tokens at the API server, with a bounded, token-free cache. */
export interface TokenReviewer {
  /**
   * Who `token` belongs to. Throws 401 `UNAUTHENTICATED` (reason `missing`, `malformed`, `expired`,
   * `invalid` or `audience`), 403 `FORBIDDEN` (`not-service-account`), 502 `UPSTREAM_UNAVAILABLE`
   * (`unreachable`, `timeout`, `rate-limited`, `server-error`, `bad-response`,
   * `reviewer-credential-refused`, `reviewer-credential-unreadable`) or 503 `CAPACITY_EXHAUSTED`
   * (`reviews-in-flight`).
   */
  review(token: string, options?: ReviewOptions): Promise<KubeIdentity>;
  /** Drops every cached review (e.g. after a configuration change). */
  clear(): void;
  /** Closes the client if this reviewer made it. */
  close(): void;
}

interface Refusal {
  readonly status: 401 | 403;
  readonly reason: RefusalReason;
}

type Outcome = { readonly identity: KubeIdentity } | { readonly refusal: Refusal };

export const DEFAULT_POSITIVE_TTL_MS = 10_000;
export const DEFAULT_NEGATIVE_TTL_MS = 2_000;

/**
 * A TokenReview client (`POST /apis/authentication.k8s.io/v1/tokenreviews`) with DESIGN's cache:
 * - keyed by HMAC(token ‖ sorted audiences) under a per-process key, never the token;
 * - absolute expiry: a positive entry lives at most `positiveTtlMs` and never past the token's `exp`;
 *   reads never extend it;
 * - refusals live in a separate, smaller table for `negativeTtlMs`, so a flood of garbage tokens
 *   cannot evict good entries; errors (502) are never cached;
 * - concurrent reviews of one key share one request; one caller's abort does not cancel it for the
 *   others; at most `maxInFlight` distinct reviews run at once;
 * - a cheap shape check (three base64url parts, `exp` not past) runs before any network call.
 *
 * @example
 * ```ts
 * const reviewer = createTokenReviewer({
 *   apiServer: 'https://kubernetes.default.svc',
 *   ca: readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/ca.crt'),
 *   credential: tokenFileCredential('/var/run/secrets/kubernetes.io/serviceaccount/token'),
 *   audiences: ['latchkey'],
 * });
 * const { uid, serviceAccount } = await reviewer.review(callerToken);
 * ```
 */
export function createTokenReviewer(options: TokenReviewerOptions): TokenReviewer {
  if (typeof options.credential !== 'function') throw new TypeError('credential must be a function');
  const audiences = checkAudiences(options.audiences);
  const positiveTtlMs = ttl(options.positiveTtlMs ?? DEFAULT_POSITIVE_TTL_MS, 'positiveTtlMs');
  const negativeTtlMs = ttl(options.negativeTtlMs ?? DEFAULT_NEGATIVE_TTL_MS, 'negativeTtlMs');
  const adminPrincipals = new Set(options.adminPrincipals ?? []);
  const now = options.now ?? Date.now;
  const keyer = options.keyer ?? createCacheKeyer();
  const { client, owned } = connect(options);
  const positives = createExpiryTable<KubeIdentity>(options.maxEntries ?? 10_000);
  const negatives = createExpiryTable<Refusal>(options.maxNegativeEntries ?? 1_000);
  const flights = createSingleFlight<Outcome>(options.maxInFlight ?? 256);
  // Sorted once: the key covers the audience set, whatever order the caller configured.
  const audienceSuffix = `\u0000${[...audiences].sort().join('\n')}`;
  // The body around the token, serialised once. The token passed the shape check (base64url parts and
  // dots only), so it needs no JSON escaping.
  const [bodyHead, bodyTail] = JSON.stringify({
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    spec: { token: '\u0000', audiences },
  }).split('"\\u0000"') as [string, string];
  const body = (token: string): string => `${bodyHead}"${token}"${bodyTail}`;

  const reviewAtApiServer = async (token: string, key: string, expSeconds: number | undefined) => {
    let outcome: Outcome;
    try {
      const bearerToken = await options.credential();
      const response = await client.request({
        method: 'POST',
        idempotent: true,
        path: TOKEN_REVIEW_PATH,
        bearerToken,
        jsonBody: body(token),
      });
      const read = readTokenReview(response, audiences, adminPrincipals);
      outcome = read.ok
        ? { identity: Object.freeze({ ...read.identity, tokenKey: key }) }
        : { refusal: { status: read.status, reason: read.reason } };
    } catch (error) {
      if (isUpstream(error)) options.onUpstreamError?.(error);
      throw error;
    }
    const doneMs = now();
    if ('identity' in outcome) {
      const expiresAtMs = Math.min(
        doneMs + positiveTtlMs,
        expSeconds === undefined ? Number.POSITIVE_INFINITY : expSeconds * 1000,
      );
      if (expiresAtMs > doneMs) positives.set(key, outcome.identity, expiresAtMs);
    } else {
      negatives.set(key, outcome.refusal, doneMs + negativeTtlMs);
    }
    return outcome;
  };

  return {
    async review(token, reviewOptions = {}) {
      if (typeof token !== 'string') throw new TypeError('token must be a string');
      if (token === '') throw new UnauthenticatedError('missing');
      if (token.length > MAX_TOKEN_BYTES) throw new UnauthenticatedError('malformed');
      const key = keyer(token + audienceSuffix);
      const nowMs = now();
      const cached = positives.get(key, nowMs);
      if (cached !== undefined) return cached;
      const refused = negatives.get(key, nowMs);
      if (refused !== undefined) throw refusalError(refused.status, refused.reason);
      const shape = checkTokenShape(token, nowMs);
      if (!shape.ok) throw new UnauthenticatedError(shape.reason);
      const outcome = await flights.run(
        key,
        () => reviewAtApiServer(token, key, shape.expSeconds),
        reviewOptions.signal,
      );
      if ('identity' in outcome) return outcome.identity;
      throw refusalError(outcome.refusal.status, outcome.refusal.reason);
    },
    clear() {
      positives.clear();
      negatives.clear();
    },
    close() {
      if (owned) client.close();
    },
  };
}

/** The client a reviewer uses, and whether the reviewer made it (and so closes it). */
export function connect(connection: KubeConnection): { client: KubeApiClient; owned: boolean } {
  if (connection.client !== undefined) return { client: connection.client, owned: false };
  if (typeof connection.apiServer !== 'string') throw new TypeError('apiServer or client is required');
  return {
    client: createKubeApiClient({
      apiServer: connection.apiServer,
      ca: connection.ca,
      ...(connection.timeoutMs === undefined ? {} : { timeoutMs: connection.timeoutMs }),
    }),
    owned: true,
  };
}

export function isUpstream(error: unknown): error is UpstreamUnavailableError {
  return LatchkeyError.is(error, 'UPSTREAM_UNAVAILABLE');
}

export function ttl(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a non-negative number`);
  return value;
}

function checkAudiences(audiences: readonly string[]): readonly string[] {
  if (
    !Array.isArray(audiences) ||
    audiences.length === 0 ||
    !audiences.every((audience) => typeof audience === 'string' && audience !== '')
  ) {
    throw new TypeError('audiences must be a non-empty list of non-empty strings');
  }
  return Object.freeze([...audiences]);
}
