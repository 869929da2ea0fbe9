import { SessionTargetMismatchError, type TargetField } from '@latchkey/errors';
import type { Decision } from './decision.js';
import { type SecurityEventHook, type TargetSecurityEvent, warnSecurityEvent } from './security-event.js';
import type { Target } from './target.js';

/**
 * The outcome of comparing a stored binding with a requested target: latchkey's one {@link Decision}
 * shape, whose refusal also names the fields (in the order `namespace`, `name`, `kind`) that differ
 * or are missing — never their values. `missing-metadata`: the stored binding lacks a field (fail
 * closed); `mismatch`: a field differs.
 */
export type TargetDecision =
  | Extract<Decision, { readonly ok: true }>
  | (Extract<Decision<'SESSION_TARGET_MISMATCH', 'mismatch' | 'missing-metadata'>, { readonly ok: false }> & {
      readonly fields: readonly TargetField[];
    });

const MATCH: TargetDecision = Object.freeze({ ok: true });
const FIELDS: readonly TargetField[] = ['namespace', 'name', 'kind'];

// `hasOwnProperty.call` rather than `Object.hasOwn`: V8 inlines the former in optimised code, and
// this is the per-request hot path.
const HAS_OWN = Object.prototype.hasOwnProperty;

/**
 * An own property of `value`, or `undefined` when there is none or it cannot be read. Own only: with a
 * polluted `Object.prototype.namespace`, a binding stored without a namespace must still read as
 * missing, never as the polluted value. An own getter is invoked once; its result is used as read.
 */
function own(value: unknown, key: TargetField): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    return HAS_OWN.call(value, key) ? (value as Record<TargetField, unknown>)[key] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A property of the requested target, or `undefined` when it cannot be read. Unlike the stored side it
 * may be inherited: the requested target is the caller's own (from `parseTarget`), and skipping the
 * ownership test halves the cost of the hot path. Fail-closed on pollution is a stored-side property:
 * an inherited requested value can only ever be compared against a complete, own stored binding.
 */
function read(value: unknown, key: TargetField): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    return (value as Record<TargetField, unknown>)[key];
  } catch {
    return undefined;
  }
}

const isPresent = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

function refuse(reason: 'mismatch' | 'missing-metadata', fields: TargetField[]): TargetDecision {
  return Object.freeze({ ok: false, code: 'SESSION_TARGET_MISMATCH', reason, fields: Object.freeze(fields) });
}

/**
 * The common case, checked in one pass: the stored binding owns all three fields, as non-empty strings
 * equal to the requested ones. Anything else (including a throwing getter or proxy trap) is
 * `false` and goes to the slow path, which works out why.
 */
function sameTarget(stored: unknown, requested: unknown): boolean {
  if (typeof stored !== 'object' || stored === null || typeof requested !== 'object' || requested === null) {
    return false;
  }
  try {
    if (
      !HAS_OWN.call(stored, 'namespace') ||
      !HAS_OWN.call(stored, 'name') ||
      !HAS_OWN.call(stored, 'kind')
    ) {
      return false;
    }
    // Each field is read once per side, so a getter cannot answer differently to two reads.
    const { namespace, name, kind } = stored as Record<TargetField, unknown>;
    const wanted = requested as Record<TargetField, unknown>;
    // Equality with a non-empty stored string implies the requested value is that same non-empty string.
    return (
      isPresent(namespace) &&
      isPresent(name) &&
      isPresent(kind) &&
      namespace === wanted.namespace &&
      name === wanted.name &&
      kind === wanted.kind
    );
  } catch {
    return false;
  }
}

/**
 * Decides whether a stored binding matches a requested target, exactly, on all three fields. Pure: no
 * events, no throws, for any two values. A stored binding with a missing, empty or non-string field is
 * refused as `missing-metadata` whatever was requested; a requested field that is not a non-empty
 * string never matches. Stored fields are own properties only: an inherited (polluted) value never
 * fills a gap. Use a matcher's `decide` / `assert` to have every refusal reported.
 *
 * @example
 * ```ts
 * const decision = decideTargetMatch(record.target, requested);
 * if (!decision.ok) console.warn(decision.code, decision.reason, decision.fields);
 * ```
 */
export function decideTargetMatch(stored: unknown, requested: unknown): TargetDecision {
  if (sameTarget(stored, requested)) return MATCH;
  // Slow path, refusals only: read each field again, one at a time, to name the culprits. A hostile
  // getter could answer differently now, but this path only ever decides between two refusals.
  const stores = FIELDS.map((key) => own(stored, key));
  const missing = FIELDS.filter((_, i) => !isPresent(stores[i]));
  if (missing.length > 0) return refuse('missing-metadata', missing);
  const differing = FIELDS.filter((key, i) => stores[i] !== read(requested, key));
  // A getter that matched on the fast path and differs now still refuses: never turn a `false` into a match.
  return refuse('mismatch', differing.length > 0 ? differing : [...FIELDS]);
}

/** Options of {@link createTargetMatcher}. */
export interface TargetMatcherOptions {
  /**
   * Receives every `mismatch` and `missing-metadata` decision. Default {@link warnSecurityEvent}, a
   * process warning: never silent at default log levels.
   */
  readonly onSecurityEvent?: SecurityEventHook;
}

/** Checks a reused session id against the target it was created for, reporting every refusal. */
export interface TargetMatcher {
  /** The decision, after emitting a security event when it is a refusal. Never throws. */
  decide(sessionId: string, stored: unknown, requested: Target): TargetDecision;
  /**
   * Returns when the targets match; otherwise emits a security event and throws
   * `SessionTargetMismatchError` (`SESSION_TARGET_MISMATCH`, 409) with `reason` and `fields`.
   */
  assert(sessionId: string, stored: unknown, requested: Target): void;
}

/**
 * Creates the session-target matcher a router calls when a request reuses a session id.
 *
 * @example
 * ```ts
 * const matcher = createTargetMatcher({ onSecurityEvent: (event) => log.warn(event) });
 * const record = await sessions.get(sessionId);
 * matcher.assert(sessionId, record.target, parseTarget(routeParams));
 * ```
 */
export function createTargetMatcher(options: TargetMatcherOptions = {}): TargetMatcher {
  const hook = options.onSecurityEvent ?? warnSecurityEvent;
  if (typeof hook !== 'function')
    throw new TypeError('createTargetMatcher: onSecurityEvent must be a function');

  const emit = (
    sessionId: string,
    reason: TargetSecurityEvent['reason'],
    fields: readonly TargetField[],
  ): void => {
    const event: TargetSecurityEvent = Object.freeze({
      type: 'session-target-mismatch',
      reason,
      sessionId,
      fields,
    });
    try {
      hook(event);
    } catch {
      // A broken hook must neither turn the refusal into a different error nor make it silent.
      try {
        warnSecurityEvent(event);
      } catch {
        // Nothing left to report to; the refusal itself still stands.
      }
    }
  };

  const decide = (sessionId: string, stored: unknown, requested: Target): TargetDecision => {
    const decision = decideTargetMatch(stored, requested);
    if (!decision.ok) emit(sessionId, decision.reason, decision.fields);
    return decision;
  };

  return Object.freeze({
    decide,
    assert(sessionId: string, stored: unknown, requested: Target): void {
      const decision = decide(sessionId, stored, requested);
      if (!decision.ok) throw new SessionTargetMismatchError(decision.reason, decision.fields);
    },
  });
}
