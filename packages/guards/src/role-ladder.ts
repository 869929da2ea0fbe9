/** The default roles, lowest first. */
export type DefaultRole = 'viewer' | 'editor' | 'admin';

/**
 * The default ladder, lowest first: a viewer reads, an editor also mutates, an admin can do everything.
 *
 * @example
 * ```ts
 * const ladder = createRoleLadder([...DEFAULT_ROLES, 'owner']);
 * ```
 */
export const DEFAULT_ROLES: readonly DefaultRole[] = Object.freeze(['viewer', 'editor', 'admin']);

/** Ordered roles, as data: each role grants everything the roles below it grant. */
export interface RoleLadder<R extends string = DefaultRole> {
  /** The roles, lowest first. */
  readonly roles: readonly R[];
  /** The position of `role` on the ladder (0 = lowest), or -1 for anything that is not one of its roles. */
  rank(role: unknown): number;
  /** True when `role` is on the ladder at or above `min`. Unknown roles are never at or above anything. */
  atLeast(role: unknown, min: R): boolean;
}

/**
 * Builds a ladder from role names, lowest first. Names are compared exactly (case-sensitive).
 * Throws `TypeError` for an empty list, a non-string or empty name, or a duplicate.
 *
 * @example
 * ```ts
 * const ladder = createRoleLadder(['reader', 'operator', 'owner'] as const);
 * ladder.atLeast('owner', 'operator'); // true
 * ladder.atLeast('Owner', 'reader'); // false: unknown role
 * ```
 */
export function createRoleLadder<const R extends string>(roles: readonly R[]): RoleLadder<R> {
  if (!Array.isArray(roles) || roles.length === 0) {
    throw new TypeError('createRoleLadder: roles must be a non-empty array of role names');
  }
  // A Map, not an object: `rank('constructor')` or `rank('__proto__')` must be -1, whatever the prototype holds.
  const ranks = new Map<unknown, number>();
  for (const role of roles as readonly unknown[]) {
    if (typeof role !== 'string' || role.length === 0) {
      throw new TypeError('createRoleLadder: every role must be a non-empty string');
    }
    if (ranks.has(role)) throw new TypeError(`createRoleLadder: duplicate role ${JSON.stringify(role)}`);
    ranks.set(role, ranks.size);
  }
  const frozen = Object.freeze([...roles]);
  const rank = (role: unknown): number => ranks.get(role) ?? -1;
  return Object.freeze({
    roles: frozen,
    rank,
    atLeast(role: unknown, min: R): boolean {
      const minRank = ranks.get(min);
      if (minRank === undefined) throw new TypeError('atLeast: the minimum role is not on this ladder');
      return rank(role) >= minRank;
    },
  });
}

/**
 * The ladder of {@link DEFAULT_ROLES}: `viewer < editor < admin`.
 *
 * @example
 * ```ts
 * defaultLadder.atLeast('admin', 'editor'); // true
 * ```
 */
export const defaultLadder: RoleLadder<DefaultRole> = createRoleLadder(DEFAULT_ROLES);
