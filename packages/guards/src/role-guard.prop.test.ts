import { fc, test } from '@fast-check/vitest';
import { LatchkeyError } from '@latchkey/errors';
import { expect } from 'vitest';
import { requireRole } from './role-guard.js';
import { createRoleLadder } from './role-ladder.js';

/** A ladder of 1 to 8 distinct role names, and one of its roles chosen as the minimum. */
const ladderWithMin = fc
  .uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 })
  .chain((roles) => fc.tuple(fc.constant(roles), fc.nat({ max: roles.length - 1 })));

test.prop([ladderWithMin, fc.nat(), fc.nat()])(
  'access is monotone up the ladder: a higher role passes wherever a lower one does',
  ([roles, minIndex], a, b) => {
    const ladder = createRoleLadder(roles);
    const guard = requireRole(roles[minIndex] as string, { ladder });
    const [low, high] = [a % roles.length, b % roles.length].sort((x, y) => x - y) as [number, number];
    const lowPasses = guard.decide({ role: roles[low] }).ok;
    const highPasses = guard.decide({ role: roles[high] }).ok;
    expect(!lowPasses || highPasses).toBe(true);
    expect(lowPasses).toBe(low >= minIndex);
  },
);

test.prop([ladderWithMin, fc.string({ minLength: 1, maxLength: 12 })])(
  'adding a role at the top of the ladder never removes access from existing roles',
  ([roles, minIndex], extra) => {
    fc.pre(!roles.includes(extra));
    const before = requireRole(roles[minIndex] as string, { ladder: createRoleLadder(roles) });
    const after = requireRole(roles[minIndex] as string, { ladder: createRoleLadder([...roles, extra]) });
    for (const role of roles) expect(after.decide({ role }).ok).toBe(before.decide({ role }).ok);
  },
);

test.prop([ladderWithMin, fc.anything({ withNullPrototype: true, withBoxedValues: true })])(
  'unknown roles never pass',
  ([roles, minIndex], role) => {
    fc.pre(!(roles as unknown[]).includes(role));
    const guard = requireRole(roles[minIndex] as string, { ladder: createRoleLadder(roles) });
    expect(guard.decide({ role })).toEqual({ ok: false, code: 'FORBIDDEN', reason: 'unknown-role' });
    expect(() => guard({ role })).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', reason: 'unknown-role' }),
    );
  },
);

test.prop([
  fc.constantFrom('viewer', 'editor', 'admin'),
  fc.anything({ withNullPrototype: true, withBoxedValues: true }),
])(
  'a guard is total: it returns or throws one of its three typed errors, agreeing with decide',
  (min, identity) => {
    const guard = requireRole(min);
    const decision = guard.decide(identity);
    try {
      guard.assert(identity as never);
      expect(decision.ok).toBe(true);
    } catch (error) {
      expect(LatchkeyError.is(error)).toBe(true);
      expect(decision).toMatchObject({ ok: false, code: (error as LatchkeyError).code });
      expect(['UNAUTHENTICATED', 'FORBIDDEN', 'ROLE_LOOKUP_FAILED']).toContain((error as LatchkeyError).code);
    }
  },
);
