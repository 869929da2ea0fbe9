import {
  allowDecisions,
  DENY_INSUFFICIENT,
  DENY_NO_POLICY,
  DENY_UNKNOWN,
  decisionError,
  type Identity,
  isDenial,
  type RoleDecision,
  readRole,
} from './role-guard.js';
import { type DefaultRole, defaultLadder, type RoleLadder } from './role-ladder.js';

/**
 * One row of a policy table: requests with this method on a path matching `path` need `minRole`.
 *
 * `path` syntax: `/`-separated segments. A literal segment matches itself exactly (case-sensitive, no
 * decoding); `:name` or `*` matches exactly one non-empty segment; `**`, only as the last segment,
 * matches one or more segments. `/` alone matches the root.
 */
export interface RouteRule<R extends string = DefaultRole> {
  /** An upper-case HTTP method (`GET`, `POST`, …) or several. Matched exactly; `HEAD` is not implied by `GET`. */
  readonly method: string | readonly string[];
  readonly path: string;
  readonly minRole: R;
}

/** A policy table that denies every route it does not list. */
export interface RoutePolicy<R extends string = DefaultRole> {
  /** The decision, without throwing, for any three values. */
  decide(method: unknown, path: unknown, identity: unknown): RoleDecision<R>;
  /**
   * Returns when `identity` may call `method path`; otherwise throws `UnauthenticatedError` (401),
   * `ForbiddenError` (403: `no-policy`, `unknown-role`, `insufficient-role`) or `RoleLookupFailedError` (500).
   */
  assert(method: string, path: string, identity: Identity | null | undefined): void;
  /** The minimum role for `method path`, or `undefined` when no rule matches (the route is denied). */
  minRoleFor(method: unknown, path: unknown): R | undefined;
}

/** Options of {@link createRoutePolicy}. */
export interface RoutePolicyOptions<R extends string> {
  /** The ladder the rules' roles are on. Default {@link defaultLadder}. */
  readonly ladder?: RoleLadder<R>;
}

interface PatternRule {
  readonly methods: ReadonlySet<string>;
  /** `null` matches any one segment; the rest are literals. */
  readonly segments: readonly (string | null)[];
  readonly rest: boolean;
  readonly rank: number;
}

const METHOD = /^[A-Z]+$/;
const PATTERN_SEGMENT = /^[^?#\\%]+$/;

function fail(message: string): never {
  throw new TypeError(`createRoutePolicy: ${message}`);
}

/**
 * Splits a request path into its segments, or returns `null` when the path is not in canonical form:
 * not a string, not starting with `/`, carrying a query or fragment, a backslash, an empty segment
 * (`//`, a trailing `/`), a dot segment, or a percent-encoding of `.`, `/` or `\`. Such paths are
 * denied rather than guessed at, because a server that normalises them differently from this table
 * could route them to a handler the table never authorised.
 */
function segmentsOf(path: unknown): string[] | null {
  if (typeof path !== 'string' || path.length === 0 || path.charCodeAt(0) !== 47) return null;
  if (path === '/') return [];
  if (path.includes('?') || path.includes('#') || path.includes('\\')) return null;
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') return null;
    if (segment.includes('%')) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return null;
      }
      if (decoded === '.' || decoded === '..' || decoded.includes('/') || decoded.includes('\\')) return null;
    }
  }
  return segments;
}

function compilePattern(path: unknown): { segments: (string | null)[]; rest: boolean; exact: boolean } {
  if (typeof path !== 'string' || !path.startsWith('/')) fail('a rule path must be a string starting with /');
  if (path === '/') return { segments: [], rest: false, exact: true };
  const raw = path.slice(1).split('/');
  const segments: (string | null)[] = [];
  let rest = false;
  raw.forEach((segment, index) => {
    if (segment === '**') {
      if (index !== raw.length - 1) fail(`** must be the last segment in ${JSON.stringify(path)}`);
      rest = true;
    } else if (segment === '*' || (segment.startsWith(':') && segment.length > 1)) {
      segments.push(null);
    } else if (segment === '.' || segment === '..' || !PATTERN_SEGMENT.test(segment)) {
      fail(`invalid segment ${JSON.stringify(segment)} in ${JSON.stringify(path)}`);
    } else {
      segments.push(segment);
    }
  });
  return { segments, rest, exact: !rest && segments.every((segment) => segment !== null) };
}

function matches(rule: PatternRule, method: string, segments: readonly string[]): boolean {
  if (!rule.methods.has(method)) return false;
  const fixed = rule.segments.length;
  if (rule.rest ? segments.length <= fixed : segments.length !== fixed) return false;
  for (let i = 0; i < fixed; i++) {
    const expected = rule.segments[i];
    if (expected !== null && expected !== segments[i]) return false;
  }
  return true;
}

/**
 * Builds a route policy table. A route it does not list is denied (`FORBIDDEN`, reason `no-policy`), as is
 * any path not in canonical form (see {@link RouteRule} for the syntax). When several rules match a
 * request, the most restrictive one applies, so the order of rules never widens access. Checks run in the
 * order of the reference console: authentication (401) → policy and role (403).
 *
 * Throws `TypeError` for a malformed rule, a role not on the ladder, or the same method and path listed twice.
 *
 * @example
 * ```ts
 * const policy = createRoutePolicy([
 *   { method: 'POST', path: '/api/gitops/sync', minRole: 'editor' },
 *   { method: 'GET', path: '/api/events', minRole: 'viewer' },
 * ]);
 * policy.decide('GET', '/api/events', { role: 'viewer' }); // { ok: true, role: 'viewer' }
 * policy.assert('POST', '/api/gitops/sync', { role: 'viewer' }); // throws FORBIDDEN (insufficient-role)
 * ```
 */
export function createRoutePolicy<R extends string = DefaultRole>(
  rules: readonly RouteRule<NoInfer<R>>[],
  options: RoutePolicyOptions<R> = {},
): RoutePolicy<R> {
  const ladder = options.ladder ?? (defaultLadder as unknown as RoleLadder<R>);
  if (!Array.isArray(rules)) fail('rules must be an array');
  const exact = new Map<string, Map<string, number>>();
  const patterns: PatternRule[] = [];
  const seen = new Set<string>();
  for (const rule of rules as readonly RouteRule<R>[]) {
    if (typeof rule !== 'object' || rule === null) fail('every rule must be an object');
    const rank = ladder.rank(rule.minRole);
    if (rank < 0) fail(`minRole ${JSON.stringify(rule.minRole)} is not on the ladder`);
    const methods: readonly unknown[] = typeof rule.method === 'string' ? [rule.method] : rule.method;
    if (!Array.isArray(methods) || methods.length === 0)
      fail('method must be a method name or a non-empty list');
    const compiled = compilePattern(rule.path);
    for (const method of methods) {
      if (typeof method !== 'string' || !METHOD.test(method)) {
        fail(`method ${JSON.stringify(method)} must be an upper-case HTTP method`);
      }
      const key = `${method} ${rule.path}`;
      if (seen.has(key)) fail(`${key} is listed twice`);
      seen.add(key);
      if (compiled.exact) {
        const paths = exact.get(method) ?? new Map<string, number>();
        exact.set(method, paths);
        paths.set(rule.path, rank);
      }
    }
    if (!compiled.exact) {
      patterns.push({
        methods: new Set(methods as string[]),
        segments: compiled.segments,
        rest: compiled.rest,
        rank,
      });
    }
  }
  const allowed = allowDecisions(ladder);

  // The highest minimum rank over every matching rule, or -1 when none matches.
  const requiredRank = (method: unknown, path: unknown): number => {
    if (typeof method !== 'string' || typeof path !== 'string') return -1;
    // Literal rule paths are canonical by construction, so a literal hit is a canonical path.
    let required = exact.get(method)?.get(path) ?? -1;
    if (patterns.length === 0) return required;
    const segments = segmentsOf(path);
    if (segments === null) return required;
    for (const rule of patterns) {
      if (rule.rank > required && matches(rule, method, segments)) required = rule.rank;
    }
    return required;
  };

  const decide = (method: unknown, path: unknown, identity: unknown): RoleDecision<R> => {
    const role = readRole(identity);
    if (isDenial(role) && role.code === 'UNAUTHENTICATED') return role;
    const required = requiredRank(method, path);
    if (required < 0) return DENY_NO_POLICY;
    if (isDenial(role)) return role;
    const rank = ladder.rank(role);
    if (rank < 0) return DENY_UNKNOWN;
    if (rank < required) return DENY_INSUFFICIENT;
    return allowed[rank] ?? DENY_UNKNOWN;
  };

  return Object.freeze({
    decide,
    assert(method: string, path: string, identity: Identity | null | undefined): void {
      const decision = decide(method, path, identity);
      if (!decision.ok) throw decisionError(decision);
    },
    minRoleFor(method: unknown, path: unknown): R | undefined {
      const required = requiredRank(method, path);
      return required < 0 ? undefined : ladder.roles[required];
    },
  });
}
