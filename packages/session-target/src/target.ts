import { InvalidTargetError } from '@latchkey/errors';

/**
 * What a session is bound to when it is created: a workload named `name` of kind `kind` in
 * `namespace`. A reused session id must name the same target on all three fields (threat T2).
 */
export interface Target {
  readonly namespace: string;
  readonly name: string;
  readonly kind: string;
}

/** Options of {@link parseTarget}. */
export interface ParseTargetOptions {
  /**
   * The kinds a target may name, compared exactly (case-sensitive). Default {@link DEFAULT_KINDS}.
   * Each must be a kind name ({@link isKindName}), or `parseTarget` throws `TypeError`.
   */
  readonly kinds?: readonly string[];
}

/**
 * The kinds a target may name when no allow-list is given.
 *
 * @example
 * ```ts
 * parseTarget(input, { kinds: [...DEFAULT_KINDS, 'Notebook'] });
 * ```
 */
export const DEFAULT_KINDS: readonly string[] = Object.freeze(['AgentRuntime', 'CodeInterpreter']);

// RFC 1123 label as Kubernetes uses it: 1 to 63 of [a-z0-9-], alphanumeric at both ends. No `m` flag,
// so `$` is the end of input (a trailing newline does not pass).
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * True when `value` is a DNS-1123 label: 1 to 63 lowercase alphanumerics or `-`, alphanumeric at both
 * ends. Never throws.
 *
 * @example
 * ```ts
 * isDnsLabel('team-a'); // true
 * isDnsLabel('Team_A'); // false
 * ```
 */
export function isDnsLabel(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 63 && DNS_LABEL.test(value);
}

// A Kubernetes kind as the session store keeps it: a letter, then letters and digits, 63 at most.
const KIND_NAME = /^[A-Za-z][A-Za-z0-9]{0,62}$/;

/**
 * True when `value` can name a kind: a letter, then up to 62 letters or digits (`AgentRuntime`), the
 * rule the session store holds a stored target's kind to. Never throws.
 *
 * @example
 * ```ts
 * isKindName('CodeInterpreter'); // true
 * isKindName('code-interpreter'); // false
 * ```
 */
export function isKindName(value: unknown): value is string {
  return typeof value === 'string' && KIND_NAME.test(value);
}

function checkKinds(kinds: unknown): readonly string[] {
  if (!Array.isArray(kinds) || kinds.length === 0 || !kinds.every(isKindName)) {
    // A kind the store would refuse would turn every session create for it into a 500.
    throw new TypeError(
      'parseTarget: kinds must be a non-empty array of kind names (a letter, then letters or digits)',
    );
  }
  return kinds as readonly string[];
}

const MISSING: unique symbol = Symbol('missing');

/**
 * Reads an own data property without running code that belongs to the input: an accessor (getter) is
 * refused rather than invoked, and inherited values (a polluted `Object.prototype`) are never seen.
 * Proxy traps may still run; whatever they throw is caught by the caller.
 */
function ownData(input: object, key: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(input, key);
  if (descriptor === undefined) return undefined;
  if (!('value' in descriptor)) return MISSING;
  return descriptor.value;
}

/**
 * Parses untrusted input (a JSON body, route parameters) into a frozen {@link Target} with exactly three
 * fields. Other properties are ignored. Never throws anything but `InvalidTargetError` for any input
 * (objects with getters, proxies and odd prototypes included); a bad `options.kinds` is a caller bug and
 * throws `TypeError`.
 *
 * @throws InvalidTargetError (`INVALID_TARGET`, 400), reason `shape` (not a plain readable object),
 *   or the first failing field in the order `namespace`, `name`, `kind`.
 *
 * @example
 * ```ts
 * const target = parseTarget({ namespace: 'team-a', name: 'agent-1', kind: 'AgentRuntime' });
 * ```
 */
export function parseTarget(input: unknown, options?: ParseTargetOptions): Target {
  const kinds = options?.kinds === undefined ? DEFAULT_KINDS : checkKinds(options.kinds);
  if (typeof input !== 'object' || input === null) throw new InvalidTargetError('shape');
  let namespace: unknown;
  let name: unknown;
  let kind: unknown;
  try {
    // Inside the try: `Array.isArray` throws on a revoked proxy.
    if (Array.isArray(input)) throw new InvalidTargetError('shape');
    namespace = ownData(input, 'namespace');
    name = ownData(input, 'name');
    kind = ownData(input, 'kind');
  } catch {
    // A proxy trap or a revoked proxy: the input cannot be read, so it is not a target.
    throw new InvalidTargetError('shape');
  }
  if (namespace === MISSING || name === MISSING || kind === MISSING) throw new InvalidTargetError('shape');
  if (!isDnsLabel(namespace)) throw new InvalidTargetError('namespace');
  if (!isDnsLabel(name)) throw new InvalidTargetError('name');
  if (typeof kind !== 'string' || !kinds.includes(kind)) throw new InvalidTargetError('kind');
  return Object.freeze({ namespace, name, kind });
}
