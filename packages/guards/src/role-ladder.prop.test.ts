import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { createRoleLadder } from './role-ladder.js';

const roles = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 10 });

test.prop([roles])('ranks each role by its position, lowest first', (names) => {
  const ladder = createRoleLadder(names);
  for (const [index, name] of names.entries()) expect(ladder.rank(name)).toBe(index);
});

test.prop([roles, fc.anything({ withNullPrototype: true, withBoxedValues: true })])(
  'ranks anything that is not one of its roles -1 and never counts it at or above a role',
  (names, value) => {
    fc.pre(!(names as unknown[]).includes(value));
    const ladder = createRoleLadder(names);
    expect(ladder.rank(value)).toBe(-1);
    for (const name of names) expect(ladder.atLeast(value, name)).toBe(false);
  },
);
