import { ForbiddenError, UpstreamUnavailableError } from '@latchkey/errors';
import { createCacheKeyer } from './cache-key.js';
import type { Credential } from './credential.js';
import { createExpiryTable } from './expiry-table.js';
import { assertReviewStatus, isRecord, type KubeIdentity, parseObject } from './identity.js';
import { createSingleFlight } from './single-flight.js';
import {
  connect,
  isUpstream,
  type KubeConnection,
  type ReviewCacheOptions,
  type ReviewOptions,
  ttl,
} from './token-reviewer.js';

export const SUBJECT_ACCESS_REVIEW_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

/** What the caller wants to do: SubjectAccessReview `spec.resourceAttributes`. */
export interface ResourceAttributes {
  readonly verb: string;
  /** API group; `''` for the core group. */
  readonly group: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
}

/** The subject of an access review: the identity a TokenReview returned. */
export type AccessSubject = Pick<KubeIdentity, 'username' | 'uid' | 'groups' | 'extra'>;

/** Options of {@link createAccessReviewer}. */
export type AccessReviewerOptions = KubeConnection &
  ReviewCacheOptions & {
    /** The reviewer's own bearer token. */
    readonly credential: Credential;
    /** How long an allow is reused. Default 10 000. */
    readonly allowTtlMs?: number;
    /** How long a deny is reused. Default 2 000. */
    readonly denyTtlMs?: number;
  };

/** Asks the API server whether a subject may do something. */
export interface AccessReviewer {
  /**
   * Resolves when `status.allowed` is true. Throws 403 `FORBIDDEN` (reason `access-denied`) when it is
   * not, 502 `UPSTREAM_UNAVAILABLE` on any failure to get an answer, 503 `CAPACITY_EXHAUSTED` beyond
   * `maxInFlight`.
   */
  check(subject: AccessSubject, attributes: ResourceAttributes, options?: ReviewOptions): Promise<void>;
  clear(): void;
  close(): void;
}

/**
 * A SubjectAccessReview client (`POST /apis/authorization.k8s.io/v1/subjectaccessreviews`) asking on
 * behalf of a reviewed caller: its username, uid, groups and extra, as the TokenReview returned them.
 * Same cache discipline as the token reviewer: keyed hash of the whole question, absolute expiry,
 * allows ≤ `allowTtlMs`, denies ≤ `denyTtlMs` in a separate table, errors never cached, one request
 * per question in flight.
 *
 * @example
 * ```ts
 * const access = createAccessReviewer({ apiServer, ca, credential });
 * await access.check(identity, {
 *   verb: 'create', group: 'agents.x-k8s.io', resource: 'sandboxes', namespace: 'team-a', name: 'box-1',
 * }); // throws FORBIDDEN when RBAC says no
 * ```
 */
export function createAccessReviewer(options: AccessReviewerOptions): AccessReviewer {
  if (typeof options.credential !== 'function') throw new TypeError('credential must be a function');
  const allowTtlMs = ttl(options.allowTtlMs ?? 10_000, 'allowTtlMs');
  const denyTtlMs = ttl(options.denyTtlMs ?? 2_000, 'denyTtlMs');
  const now = options.now ?? Date.now;
  const keyer = options.keyer ?? createCacheKeyer();
  const { client, owned } = connect(options);
  const allows = createExpiryTable<true>(options.maxEntries ?? 10_000);
  const denies = createExpiryTable<true>(options.maxNegativeEntries ?? 1_000);
  const flights = createSingleFlight<boolean>(options.maxInFlight ?? 256);

  const ask = async (subject: AccessSubject, attributes: ResourceAttributes, key: string) => {
    let allowed: boolean;
    try {
      const response = await client.request({
        method: 'POST',
        idempotent: true,
        path: SUBJECT_ACCESS_REVIEW_PATH,
        bearerToken: await options.credential(),
        body: requestBody(subject, attributes),
      });
      assertReviewStatus(response);
      const review = parseObject(response.body, 'authorization.k8s.io/v1', 'SubjectAccessReview');
      const status = review.status;
      // `allowed` is a required field of SubjectAccessReviewStatus: anything but a boolean is malformed.
      if (!isRecord(status) || typeof status.allowed !== 'boolean') {
        throw new UpstreamUnavailableError('bad-response');
      }
      allowed = status.allowed && status.denied !== true;
    } catch (error) {
      if (isUpstream(error)) options.onUpstreamError?.(error);
      throw error;
    }
    const doneMs = now();
    if (allowed) allows.set(key, true, doneMs + allowTtlMs);
    else denies.set(key, true, doneMs + denyTtlMs);
    return allowed;
  };

  return {
    async check(subject, attributes, checkOptions = {}) {
      checkAttributes(attributes);
      const key = keyer(questionOf(subject, attributes));
      const nowMs = now();
      if (allows.get(key, nowMs) === true) return;
      if (denies.get(key, nowMs) === true) throw new ForbiddenError('access-denied');
      const allowed = await flights.run(key, () => ask(subject, attributes, key), checkOptions.signal);
      if (!allowed) throw new ForbiddenError('access-denied');
    },
    clear() {
      allows.clear();
      denies.clear();
    },
    close() {
      if (owned) client.close();
    },
  };
}

/**
 * The SubjectAccessReview sent for a question, as the API reference shapes it (empty optional
 * attributes omitted, as Kubernetes' own clients do).
 *
 * @example
 * ```ts
 * subjectAccessReviewBody(identity, { verb: 'get', group: '', resource: 'pods', namespace: 'a' });
 * ```
 */
export function subjectAccessReviewBody(subject: AccessSubject, attributes: ResourceAttributes): unknown {
  return requestBody(subject, attributes);
}

function requestBody(subject: AccessSubject, attributes: ResourceAttributes): unknown {
  const resourceAttributes: Record<string, string> = {};
  if (attributes.namespace !== undefined && attributes.namespace !== '') {
    resourceAttributes.namespace = attributes.namespace;
  }
  resourceAttributes.verb = attributes.verb;
  resourceAttributes.group = attributes.group;
  resourceAttributes.resource = attributes.resource;
  if (attributes.subresource !== undefined && attributes.subresource !== '') {
    resourceAttributes.subresource = attributes.subresource;
  }
  if (attributes.name !== undefined && attributes.name !== '') resourceAttributes.name = attributes.name;
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      resourceAttributes,
      user: subject.username,
      ...(subject.uid === '' ? {} : { uid: subject.uid }),
      groups: [...subject.groups],
      extra: subject.extra,
    },
  };
}

/** One unambiguous string per question (JSON of a fixed-order array), hashed into the cache key. */
function questionOf(subject: AccessSubject, attributes: ResourceAttributes): string {
  const extra = Object.keys(subject.extra)
    .sort()
    .map((key) => [key, subject.extra[key]]);
  return JSON.stringify([
    subject.username,
    subject.uid,
    [...subject.groups].sort(),
    extra,
    attributes.verb,
    attributes.group,
    attributes.resource,
    attributes.namespace ?? '',
    attributes.name ?? '',
    attributes.subresource ?? '',
  ]);
}

function checkAttributes(attributes: ResourceAttributes): void {
  for (const field of ['verb', 'group', 'resource'] as const) {
    if (typeof attributes?.[field] !== 'string') throw new TypeError(`${field} must be a string`);
  }
  if (attributes.verb === '' || attributes.resource === '') {
    throw new TypeError('verb and resource must be non-empty');
  }
}
