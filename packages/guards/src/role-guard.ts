import {
  ForbiddenError,
  type LatchkeyError,
  RoleLookupFailedError,
  UnauthenticatedError,
} from '@latchkey/errors';
import type { Decision } from './decision.js';
import { type DefaultRole, defaultLadder, type RoleLadder } from './role-ladder.js';

/** What a guard reads: the caller's role, in an own property `role`. */
export interface Identity {
  readonly role?: unknown;
}

/**
 * The outcome of a role check, in latchkey's one {@link Decision} shape: `{ ok: true, role }` (the
 * caller's role) or `{ ok: false, code, reason }`, naming the error a server answers with and why;
 * {@link decisionError} builds that error. Decisions are shared frozen constants, so a decision costs
 * no allocation.
 */
export type RoleDecision<R extends string = DefaultRole> =
  | (Extract<Decision, { readonly ok: true }> & { readonly role: R })
  | Denial;

/** A refusal, from a {@link RoleDecision}. */
export type Denial =
  | Extract<Decision<'UNAUTHENTICATED', 'missing' | 'malformed'>, { readonly ok: false }>
  | Extract<Decision<'FORBIDDEN', ForbiddenError['reason']>, { readonly ok: false }>
  | Extract<Decision<'ROLE_LOOKUP_FAILED', 'lookup-failed'>, { readonly ok: false }>;

// The refusals, shared and frozen. Exported for route-policy.ts only; the package index does not re-export them.
export const DENY_MISSING: Denial = Object.freeze({
  ok: false,
  code: 'UNAUTHENTICATED',
  reason: 'missing',
});
export const DENY_MALFORMED: Denial = Object.freeze({
  ok: false,
  code: 'UNAUTHENTICATED',
  reason: 'malformed',
});
export const DENY_UNREADABLE: Denial = Object.freeze({
  ok: false,
  code: 'ROLE_LOOKUP_FAILED',
  reason: 'lookup-failed',
});
export const DENY_UNKNOWN: Denial = Object.freeze({
  ok: false,
  code: 'FORBIDDEN',
  reason: 'unknown-role',
});
export const DENY_INSUFFICIENT: Denial = Object.freeze({
  ok: false,
  code: 'FORBIDDEN',
  reason: 'insufficient-role',
});
export const DENY_NO_POLICY: Denial = Object.freeze({
  ok: false,
  code: 'FORBIDDEN',
  reason: 'no-policy',
});

/**
 * The `LatchkeyError` a server answers a refusal with.
 *
 * @example
 * ```ts
 * const decision = requireEditorOrAdmin.decide(identity);
 * if (!decision.ok) return toResponse(decisionError(decision));
 * ```
 */
export function decisionError(decision: Denial): LatchkeyError {
  switch (decision.code) {
    case 'UNAUTHENTICATED':
      return new UnauthenticatedError(decision.reason);
    case 'FORBIDDEN':
      return new ForbiddenError(decision.reason);
    default:
      return new RoleLookupFailedError();
  }
}

const NO_ROLE: unique symbol = Symbol('no role');
// `hasOwnProperty.call` rather than `Object.hasOwn`: V8 inlines the former in optimised code.
const HAS_OWN = Object.prototype.hasOwnProperty;

/**
 * Reads the caller's role, or tells why there is none to read. Own property only: with a polluted
 * `Object.prototype.role = 'admin'`, an identity without a role must stay without one. A getter or proxy
 * trap that throws means the role could not be determined, which is a failure, never a pass.
 */
export function readRole(identity: unknown): unknown {
  if (identity === null || identity === undefined) return DENY_MISSING;
  if (typeof identity !== 'object') return DENY_MALFORMED;
  try {
    return HAS_OWN.call(identity, 'role') ? (identity as Identity).role : NO_ROLE;
  } catch {
    return DENY_UNREADABLE;
  }
}

/** True when {@link readRole} returned a refusal rather than a role. */
export function isDenial(value: unknown): value is Denial {
  return value === DENY_MISSING || value === DENY_MALFORMED || value === DENY_UNREADABLE;
}

/** Precomputed allow decisions, one per rank, so an allowed check allocates nothing. */
export function allowDecisions<R extends string>(ladder: RoleLadder<R>): readonly RoleDecision<R>[] {
  return Object.freeze(ladder.roles.map((role) => Object.freeze({ ok: true as const, role })));
}

/**
 * A role check: `decide` returns the decision, `assert` throws its error. The guard is also callable,
 * as a shorthand for `assert`.
 */
export interface RoleGuard<R extends string = DefaultRole> {
  /** The same as {@link RoleGuard.assert}. */
  (identity: Identity | null | undefined): void;
  /** The lowest role this guard lets through. */
  readonly minRole: R;
  /** The decision, without throwing, for any value. */
  decide(identity: unknown): RoleDecision<R>;
  /**
   * Returns when `identity` holds `minRole` or a role above it; otherwise throws `UnauthenticatedError`
   * (401), `ForbiddenError` (403) or `RoleLookupFailedError` (500).
   */
  assert(identity: Identity | null | undefined): void;
}

/** Options of {@link requireRole}. */
export interface RequireRoleOptions<R extends string> {
  /** The ladder `min` is on. Default {@link defaultLadder}. */
  readonly ladder?: RoleLadder<R>;
}

/**
 * A guard that lets through callers holding `min` or a role above it on the ladder. Fails closed: no
 * identity is 401 `missing`, a non-object identity 401 `malformed`, a role not on the ladder (absent,
 * misspelt, another type) 403 `unknown-role`, a role below `min` 403 `insufficient-role`, and a role
 * that cannot be read 500 `ROLE_LOOKUP_FAILED`. Throws `TypeError` when `min` is not on the ladder.
 *
 * @example
 * ```ts
 * const requireAdmin = requireRole('admin');
 * requireAdmin.decide({ role: 'editor' }); // { ok: false, code: 'FORBIDDEN', reason: 'insufficient-role' }
 * requireAdmin.assert({ role: 'admin' });  // returns; throws ForbiddenError for an editor
 * ```
 */
export function requireRole<R extends string = DefaultRole>(
  min: NoInfer<R>,
  options: RequireRoleOptions<R> = {},
): RoleGuard<R> {
  const ladder = options.ladder ?? (defaultLadder as unknown as RoleLadder<R>);
  const minRank = ladder.rank(min);
  if (minRank < 0) throw new TypeError('requireRole: the minimum role is not on the ladder');
  const allowed = allowDecisions(ladder);

  const decide = (identity: unknown): RoleDecision<R> => {
    const role = readRole(identity);
    if (isDenial(role)) return role;
    const rank = ladder.rank(role);
    if (rank < 0) return DENY_UNKNOWN;
    if (rank < minRank) return DENY_INSUFFICIENT;
    return allowed[rank] ?? DENY_UNKNOWN;
  };

  const assert = (identity: Identity | null | undefined): void => {
    const decision = decide(identity);
    if (!decision.ok) throw decisionError(decision);
  };
  const guard = (identity: Identity | null | undefined): void => assert(identity);
  return Object.freeze(Object.assign(guard, { minRole: min, decide, assert }));
}

/**
 * Lets through editors and admins (default ladder): for routes that mutate state.
 *
 * @example
 * ```ts
 * requireEditorOrAdmin.assert(identity); // throws ForbiddenError('insufficient-role') for a viewer
 * ```
 */
export const requireEditorOrAdmin: RoleGuard<DefaultRole> = requireRole('editor');

/**
 * Lets through any known role (default ladder): for read-only routes.
 *
 * @example
 * ```ts
 * requireViewerOrAbove.assert(identity); // throws ForbiddenError('unknown-role') for { role: 'guest' }
 * ```
 */
export const requireViewerOrAbove: RoleGuard<DefaultRole> = requireRole('viewer');
