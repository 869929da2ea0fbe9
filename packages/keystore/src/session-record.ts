import { InternalError } from '@latchkey/errors';

/**
 * The target a session is bound to.
 *
 * @example
 * ```ts
 * const target: SessionTarget = { namespace: 'team-a', name: 'agent-1', kind: 'AgentRuntime' };
 * ```
 */
export interface SessionTarget {
  /** DNS-1123 label. */
  readonly namespace: string;
  /** DNS-1123 label. */
  readonly name: string;
  /** Resource kind, e.g. `AgentRuntime`: 1 to 63 letters and digits, starting with a letter. */
  readonly kind: string;
}

/**
 * What the store keeps about a session besides its private key. Stored as JSON with these member
 * names, in this order: `{"target":{"namespace","name","kind"},"endpoint","authMode","createdAtMs","expiresAtMs"}`,
 * followed by `"owner"` when the session has one.
 *
 * @example
 * ```ts
 * const createdAtMs = Date.now();
 * const record: SessionRecord = {
 *   target: { namespace: 'team-a', name: 'agent-1', kind: 'AgentRuntime' },
 *   endpoint: 'http://10.0.3.17:8080',
 *   authMode: 'session-token',
 *   createdAtMs,
 *   expiresAtMs: createdAtMs + 3_600_000,
 * };
 * ```
 */
export interface SessionRecord {
  readonly target: SessionTarget;
  /** Base URL of the session's sandbox (`http:` or `https:`), at most 2048 characters. */
  readonly endpoint: string;
  /** How the session authenticates to its sandbox, e.g. `session-token`: 1 to 64 of `a-z 0-9 - _ .`. */
  readonly authMode: string;
  /** Creation time, epoch milliseconds. */
  readonly createdAtMs: number;
  /**
   * Absolute end of the session, epoch milliseconds (≥ `createdAtMs`). The store's TTL is the idle limit
   * that `touch` extends; `getRecord` returns `null` once `expiresAtMs` has passed, whatever the TTL.
   */
  readonly expiresAtMs: number;
  /**
   * The principal the session belongs to, when it has one (e.g. the Kubernetes UID of the service
   * account that created it): 1 to 128 of `A-Z a-z 0-9 - _ . :`, starting with a letter or digit.
   * Absent for sessions without an owner. The store keeps it; the caller enforces it.
   */
  readonly owner?: string;
}

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const KIND = /^[A-Za-z][A-Za-z0-9]{0,62}$/;
const AUTH_MODE = /^[a-z0-9._-]{1,64}$/;
const OWNER = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const RECORD_KEYS = ['target', 'endpoint', 'authMode', 'createdAtMs', 'expiresAtMs'] as const;
const OWNED_RECORD_KEYS = [...RECORD_KEYS, 'owner'] as const;
const TARGET_KEYS = ['namespace', 'name', 'kind'] as const;

/**
 * The number of own enumerable string keys of a plain object (what `Object.keys` would list), or -1 for
 * anything that is not one (`null`, an array, a primitive). Counted with `for…in` rather than
 * `Object.keys`: no array per object on the read path.
 */
function ownKeyCount(value: unknown): number {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return -1;
  let count = 0;
  for (const key in value) if (Object.hasOwn(value, key)) count++;
  return count;
}

/** A plain object whose own keys are exactly `keys` (no more, no fewer). */
function hasExactKeys(value: unknown, keys: readonly string[]): value is Record<string, unknown> {
  return ownKeyCount(value) === keys.length && keys.every((key) => Object.hasOwn(value as object, key));
}

function isEpochMs(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isOwner(value: unknown): value is string {
  return typeof value === 'string' && OWNER.test(value);
}

function isEndpoint(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 2048) return false;
  if (!value.startsWith('http://') && !value.startsWith('https://')) return false;
  return URL.canParse(value);
}

/**
 * The record's rules, written out rather than through a schema library: this runs on every put and
 * every uncached read, where a schema library cost more than the encryption.
 */
function isSessionRecord(value: unknown): value is SessionRecord {
  const count = ownKeyCount(value);
  const keys =
    count === RECORD_KEYS.length
      ? RECORD_KEYS
      : count === OWNED_RECORD_KEYS.length
        ? OWNED_RECORD_KEYS
        : null;
  if (keys === null || !keys.every((key) => Object.hasOwn(value as object, key))) return false;
  const { target, endpoint, authMode, createdAtMs, expiresAtMs, owner } = value as Record<string, unknown>;
  if (!hasExactKeys(target, TARGET_KEYS)) return false;
  if (keys === OWNED_RECORD_KEYS && !isOwner(owner)) return false;
  return isValidRecord(
    target.namespace,
    target.name,
    target.kind,
    endpoint,
    authMode,
    createdAtMs,
    expiresAtMs,
  );
}

function isValidRecord(
  namespace: unknown,
  name: unknown,
  kind: unknown,
  endpoint: unknown,
  authMode: unknown,
  createdAtMs: unknown,
  expiresAtMs: unknown,
): boolean {
  return (
    typeof namespace === 'string' &&
    DNS_LABEL.test(namespace) &&
    typeof name === 'string' &&
    DNS_LABEL.test(name) &&
    typeof kind === 'string' &&
    KIND.test(kind) &&
    isEndpoint(endpoint) &&
    typeof authMode === 'string' &&
    AUTH_MODE.test(authMode) &&
    isEpochMs(createdAtMs) &&
    isEpochMs(expiresAtMs) &&
    expiresAtMs >= createdAtMs
  );
}

/**
 * Validates a record before it is written and serialises it (fields in a fixed order).
 *
 * @throws TypeError for a record that is not well formed: the caller builds records, so this is a bug.
 * @example
 * ```ts
 * await driver.write(sessionId, serializeRecord(record), sealed, 900);
 * ```
 */
export function serializeRecord(record: SessionRecord): string {
  const owned = hasExactKeys(record, OWNED_RECORD_KEYS);
  if (!owned && !hasExactKeys(record, RECORD_KEYS)) throw new TypeError('invalid session record');
  const { target, endpoint, authMode, createdAtMs, expiresAtMs, owner } = record;
  if (!hasExactKeys(target, TARGET_KEYS)) throw new TypeError('invalid session record');
  if (owned && !isOwner(owner)) throw new TypeError('invalid session record');
  // Each field is read once: what is checked is what is written, even for a record with getters.
  const { namespace, name, kind } = target;
  if (!isValidRecord(namespace, name, kind, endpoint, authMode, createdAtMs, expiresAtMs)) {
    throw new TypeError('invalid session record');
  }
  // A template rather than JSON.stringify of a fresh object: labels, kind and authMode are checked
  // against alphabets that need no escaping and the times are safe integers, so only the endpoint (a
  // URL, which may hold `"` or `\`) goes through the JSON encoder. Same text as JSON.stringify. The
  // owner's alphabet needs no escaping either.
  const tail = owned ? `,"owner":"${owner}"}` : '}';
  return `{"target":{"namespace":"${namespace}","name":"${name}","kind":"${kind}"},"endpoint":${JSON.stringify(endpoint)},"authMode":"${authMode}","createdAtMs":${createdAtMs},"expiresAtMs":${expiresAtMs}${tail}`;
}

/**
 * Parses and validates a stored record. A value that does not parse is corrupt (or foreign), which the
 * store cannot repair: it is an `InternalError` (500), never a half-read record and never "not found".
 *
 * @example
 * ```ts
 * const text = await driver.read(sessionId, 'record'); // string | null
 * const record = text === null ? null : parseRecord(text);
 * ```
 */
export function parseRecord(text: string): SessionRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InternalError({ cause: error });
  }
  if (!isSessionRecord(value))
    throw new InternalError({ cause: new Error('stored session record fails its schema') });
  // Frozen in place: JSON.parse made these objects and nobody else holds them.
  Object.freeze(value.target);
  return Object.freeze(value);
}
