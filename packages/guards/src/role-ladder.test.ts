import { describe, expect, it } from 'vitest';
import { createRoleLadder, DEFAULT_ROLES, defaultLadder } from './role-ladder.js';

describe('createRoleLadder', () => {
  it('ranks roles lowest first', () => {
    const ladder = createRoleLadder(['reader', 'operator', 'owner']);
    expect(ladder.roles).toEqual(['reader', 'operator', 'owner']);
    expect(['reader', 'operator', 'owner'].map((role) => ladder.rank(role))).toEqual([0, 1, 2]);
  });

  it('ranks anything that is not one of its roles -1, prototype names included', () => {
    for (const role of [
      'Owner',
      'owner ',
      '',
      'constructor',
      '__proto__',
      'toString',
      null,
      0,
      {},
      ['owner'],
    ]) {
      expect(createRoleLadder(['reader', 'owner']).rank(role)).toBe(-1);
    }
  });

  it('answers atLeast by rank and refuses unknown roles', () => {
    expect(defaultLadder.atLeast('admin', 'editor')).toBe(true);
    expect(defaultLadder.atLeast('editor', 'editor')).toBe(true);
    expect(defaultLadder.atLeast('viewer', 'editor')).toBe(false);
    expect(defaultLadder.atLeast('root', 'viewer')).toBe(false);
  });

  it('throws TypeError for a minimum that is not on the ladder', () => {
    expect(() => defaultLadder.atLeast('admin', 'root' as 'admin')).toThrow(TypeError);
  });

  it.each([[[]], [['viewer', 'viewer']], [['viewer', '']], [['viewer', 3]], ['viewer']])(
    'throws TypeError for roles %j',
    (roles) => {
      expect(() => createRoleLadder(roles as string[])).toThrow(TypeError);
    },
  );

  it('keeps its roles frozen', () => {
    const roles = ['a', 'b'];
    const ladder = createRoleLadder(roles);
    roles.push('c');
    expect(ladder.roles).toEqual(['a', 'b']);
    expect(Object.isFrozen(ladder.roles)).toBe(true);
  });
});

describe('defaultLadder', () => {
  it('is viewer < editor < admin', () => {
    expect(defaultLadder.roles).toEqual(['viewer', 'editor', 'admin']);
    expect(DEFAULT_ROLES).toEqual(['viewer', 'editor', 'admin']);
  });
});
