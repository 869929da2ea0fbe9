import { ForbiddenError, UnauthenticatedError, UpstreamUnavailableError } from '@latchkey/errors';
import type { KubeResponse } from './api-client.js';

/** The service account a token belongs to, parsed from `system:serviceaccount:<namespace>:<name>`. */
export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

/** The pod a bound token was issued for (`authentication.kubernetes.io/pod-*` in `extra`). */
export interface PodBinding {
  readonly name: string;
  readonly uid: string | undefined;
}

/** Who a reviewed token belongs to, as the API server said. Carries no token. */
export interface KubeIdentity {
  /** `system:serviceaccount:<namespace>:<name>`, or an explicitly configured admin principal. */
  readonly username: string;
  /** The service account's UID: what sessions are owned by. Never empty for a service account. */
  readonly uid: string;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
  /** Set for a service account; `undefined` only for a configured admin principal. */
  readonly serviceAccount: ServiceAccountRef | undefined;
  /** The pod binding, when the token is bound to a pod. */
  readonly pod: PodBinding | undefined;
  /** The audiences the API server accepted the token for (a subset of those sent). */
  readonly audiences: readonly string[];
  /** A keyed hash of the token and audiences (the cache key): a token-free handle for logs and maps. */
  readonly tokenKey: string;
}

/** The outcome of one TokenReview, before it is cached. */
export type ReviewOutcome =
  | { readonly ok: true; readonly identity: Omit<KubeIdentity, 'tokenKey'> }
  | { readonly ok: false; readonly status: 401 | 403; readonly reason: RefusalReason };

/** Why a token was refused (the `reason` of the 401 or 403). */
export type RefusalReason = 'invalid' | 'audience' | 'not-service-account';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SA_PREFIX = 'system:serviceaccount:';

/**
 * Parses `system:serviceaccount:<namespace>:<name>`; `undefined` for any other username, including a
 * malformed one (a namespace that is not a DNS-1123 label, a name that is not a DNS-1123 subdomain).
 *
 * @example
 * ```ts
 * parseServiceAccountUsername('system:serviceaccount:team-a:runner'); // { namespace: 'team-a', name: 'runner' }
 * parseServiceAccountUsername('kubernetes-admin');                     // undefined
 * ```
 */
export function parseServiceAccountUsername(username: string): ServiceAccountRef | undefined {
  if (!username.startsWith(SA_PREFIX)) return undefined;
  const rest = username.slice(SA_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon < 0) return undefined;
  const namespace = rest.slice(0, colon);
  const name = rest.slice(colon + 1);
  if (!DNS1123_LABEL.test(namespace)) return undefined;
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) return undefined;
  return { namespace, name };
}

/** The HTTP status of an API server answer, read as the reviewer must: only 200/201 carry a review. */
export function assertReviewStatus(response: KubeResponse): void {
  const { status } = response;
  if (status === 200 || status === 201) return;
  // 401/403 here refuse OUR credential (the caller's token is in the body, not the header).
  if (status === 401 || status === 403) throw new UpstreamUnavailableError('reviewer-credential-refused');
  if (status === 429) {
    const retryAfter = Number(response.headers['retry-after']);
    throw new UpstreamUnavailableError(
      'rate-limited',
      Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : undefined,
    );
  }
  if (status >= 500) throw new UpstreamUnavailableError('server-error');
  throw new UpstreamUnavailableError('bad-response');
}

/** Parses a JSON body of the expected `apiVersion` and `kind`, or throws `bad-response`. */
export function parseObject(body: Buffer, apiVersion: string, kind: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new UpstreamUnavailableError('bad-response', { cause: error });
  }
  if (!isRecord(value) || value.apiVersion !== apiVersion || value.kind !== kind) {
    throw new UpstreamUnavailableError('bad-response');
  }
  return value;
}

/**
 * Reads a TokenReview answer (DESIGN, "router with Kubernetes caller identity"):
 * - `status.authenticated` not `true` → 401 `invalid`;
 * - `status.audiences` missing, empty or not intersecting the audiences sent → 401 `audience`;
 * - a user that is not `system:serviceaccount:<ns>:<name>` (nor an explicit admin principal) → 403;
 * - anything not shaped as the API reference says → 502 `bad-response`.
 *
 * @example
 * ```ts
 * const outcome = readTokenReview(response, ['latchkey'], new Set());
 * if (outcome.ok) console.log(outcome.identity.serviceAccount);
 * ```
 */
export function readTokenReview(
  response: KubeResponse,
  sentAudiences: readonly string[],
  adminPrincipals: ReadonlySet<string>,
): ReviewOutcome {
  assertReviewStatus(response);
  const review = parseObject(response.body, 'authentication.k8s.io/v1', 'TokenReview');
  const status = review.status;
  if (!isRecord(status)) throw new UpstreamUnavailableError('bad-response');
  if (status.authenticated !== true) return { ok: false, status: 401, reason: 'invalid' };
  const audiences = optionalStrings(status.audiences);
  if (!audiences.some((audience) => sentAudiences.includes(audience))) {
    return { ok: false, status: 401, reason: 'audience' };
  }
  const user = status.user;
  if (!isRecord(user) || typeof user.username !== 'string' || user.username === '') {
    throw new UpstreamUnavailableError('bad-response');
  }
  const username = user.username;
  const uid = user.uid === undefined ? '' : user.uid;
  if (typeof uid !== 'string') throw new UpstreamUnavailableError('bad-response');
  const groups = optionalStrings(user.groups);
  const extra = optionalExtra(user.extra);
  const serviceAccount = parseServiceAccountUsername(username);
  if (serviceAccount === undefined) {
    if (!adminPrincipals.has(username)) return { ok: false, status: 403, reason: 'not-service-account' };
  } else if (uid === '') {
    // A service account without a UID cannot own anything; the answer is not what the API gives.
    throw new UpstreamUnavailableError('bad-response');
  }
  const podName = extra['authentication.kubernetes.io/pod-name']?.[0];
  const podUid = extra['authentication.kubernetes.io/pod-uid']?.[0];
  return {
    ok: true,
    identity: {
      username,
      uid,
      groups,
      extra,
      serviceAccount,
      pod: podName === undefined ? undefined : { name: podName, uid: podUid },
      audiences: audiences.filter((audience) => sentAudiences.includes(audience)),
    },
  };
}

/** A fresh error for a refusal (cached refusals are re-thrown as new errors, never shared objects). */
export function refusalError(
  status: 401 | 403,
  reason: RefusalReason,
): UnauthenticatedError | ForbiddenError {
  if (status === 403) return new ForbiddenError('not-service-account');
  return new UnauthenticatedError(reason === 'audience' ? 'audience' : 'invalid');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalStrings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new UpstreamUnavailableError('bad-response');
  }
  return Object.freeze([...value]) as string[];
}

function optionalExtra(value: unknown): Record<string, readonly string[]> {
  if (value === undefined || value === null) return Object.freeze({});
  if (!isRecord(value)) throw new UpstreamUnavailableError('bad-response');
  const extra: Record<string, readonly string[]> = Object.create(null);
  for (const [key, values] of Object.entries(value)) extra[key] = optionalStrings(values);
  return Object.freeze(extra);
}
