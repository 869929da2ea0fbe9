import { fc, test } from '@fast-check/vitest';
import { LatchkeyError } from '@latchkey/errors';
import { expect } from 'vitest';
import { createRoutePolicy, type RouteRule } from './route-policy.js';

const ROLES = ['viewer', 'editor', 'admin'] as const;
const role = fc.constantFrom(...ROLES);
const segment = fc.constantFrom('api', 'gitops', 'sync', 'events', 'exec', 'v1', 'x');
const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD');
const literalPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
const patternPath = fc
  .tuple(
    fc.array(fc.oneof(segment, fc.constant(':p'), fc.constant('*')), { minLength: 1, maxLength: 4 }),
    fc.boolean(),
  )
  .map(([parts, rest]) => `/${[...parts, ...(rest ? ['**'] : [])].join('/')}`);
const rules = fc.uniqueArray(fc.record({ method, path: fc.oneof(literalPath, patternPath), minRole: role }), {
  selector: (rule) => `${rule.method} ${rule.path}`,
  maxLength: 8,
}) as fc.Arbitrary<RouteRule[]>;
const anyPath = fc.oneof(
  literalPath,
  fc.string(),
  fc
    .array(fc.oneof(segment, fc.constantFrom('', '.', '..', '%2e', '%2F', 'a?b', '#')), { maxLength: 5 })
    .map((p) => `/${p.join('/')}`),
);
const identity = fc.oneof(
  fc.record({ role: fc.oneof(role, fc.anything()) }),
  fc.constantFrom(null, undefined),
  fc.anything({ withNullPrototype: true }),
);

test.prop([rules, fc.anything(), fc.anything(), identity])(
  'the policy table is total: for any method, path and identity it decides, or throws a typed error agreeing with decide',
  (table, m, p, who) => {
    const policy = createRoutePolicy(table);
    const decision = policy.decide(m, p, who);
    try {
      policy.assert(m as string, p as string, who as never);
      expect(decision.ok).toBe(true);
    } catch (error) {
      expect(LatchkeyError.is(error)).toBe(true);
      expect(decision).toMatchObject({ ok: false, code: (error as LatchkeyError).code });
    }
  },
);

test.prop([rules, method, anyPath, identity])(
  'any method and path string: a decision, never a throw',
  (table, m, p, who) => {
    expect(typeof createRoutePolicy(table).decide(m, p, who).ok).toBe('boolean');
  },
);

test.prop([rules, method, literalPath, role])(
  'a route no rule lists is denied with no-policy, even for an admin',
  (table, m, p, who) => {
    const policy = createRoutePolicy(table);
    fc.pre(policy.minRoleFor(m, p) === undefined);
    expect(policy.decide(m, p, { role: who })).toEqual({
      ok: false,
      code: 'FORBIDDEN',
      reason: 'no-policy',
    });
    expect(policy.decide(m, p, { role: 'admin' })).toMatchObject({ reason: 'no-policy' });
  },
);

test.prop([rules, method, anyPath, role, role])(
  'access is monotone up the ladder on every route',
  (table, m, p, a, b) => {
    const policy = createRoutePolicy(table);
    const [low, high] = ROLES.indexOf(a) <= ROLES.indexOf(b) ? [a, b] : [b, a];
    if (policy.decide(m, p, { role: low }).ok) expect(policy.decide(m, p, { role: high }).ok).toBe(true);
  },
);

test.prop([rules, method, literalPath, role])(
  'the order of rules never changes a decision',
  (table, m, p, who) => {
    const forward = createRoutePolicy(table).decide(m, p, { role: who });
    const backward = createRoutePolicy([...table].reverse()).decide(m, p, { role: who });
    expect(backward).toEqual(forward);
  },
);

test.prop([rules, method, literalPath])(
  'every listed literal route is reachable by its minimum role',
  (table, m, p) => {
    const policy = createRoutePolicy([
      ...table.filter((r) => !(r.method === m && r.path === p)),
      { method: m, path: p, minRole: 'viewer' },
    ]);
    const min = policy.minRoleFor(m, p);
    expect(min).toBeDefined();
    expect(policy.decide(m, p, { role: min }).ok).toBe(true);
  },
);
