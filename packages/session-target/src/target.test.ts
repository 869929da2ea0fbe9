import { describe, expect, it } from 'vitest';
import { DEFAULT_KINDS, isDnsLabel, isKindName, parseTarget } from './target.js';

const valid = { namespace: 'team-a', name: 'agent-1', kind: 'AgentRuntime' };

describe('isDnsLabel', () => {
  it.each(['a', '0', 'team-a', 'a1-b2', 'x'.repeat(63)])('accepts %s', (label) => {
    expect(isDnsLabel(label)).toBe(true);
  });

  it.each(['', '-a', 'a-', 'A', 'team_a', 'team.a', 'x'.repeat(64), 'a\n', ' a', 'é', 'a/b'])(
    'refuses %j',
    (label) => {
      expect(isDnsLabel(label)).toBe(false);
    },
  );

  it('refuses non-strings', () => {
    expect(isDnsLabel(1)).toBe(false);
    expect(isDnsLabel(null)).toBe(false);
    expect(isDnsLabel(['a'])).toBe(false);
  });
});

describe('isKindName', () => {
  it('accepts a letter then letters and digits, up to 63', () => {
    for (const kind of ['AgentRuntime', 'CodeInterpreter', 'K', `K${'k'.repeat(62)}`, 'V2Runtime']) {
      expect(isKindName(kind)).toBe(true);
    }
    for (const kind of [
      '',
      '1Kind',
      'code-interpreter',
      'Kind_2',
      `K${'k'.repeat(63)}`,
      'Kind\n',
      42,
      null,
    ]) {
      expect(isKindName(kind)).toBe(false);
    }
  });
});

describe('parseTarget', () => {
  it('returns a frozen target with exactly the three fields', () => {
    const target = parseTarget({ ...valid, extra: 'ignored' });
    expect(target).toEqual(valid);
    expect(Object.keys(target)).toEqual(['namespace', 'name', 'kind']);
    expect(Object.isFrozen(target)).toBe(true);
  });

  it('accepts every default kind', () => {
    for (const kind of DEFAULT_KINDS) expect(parseTarget({ ...valid, kind }).kind).toBe(kind);
  });

  it.each([null, undefined, 'team-a/agent-1', 42, [], ['team-a', 'agent-1', 'AgentRuntime'], () => valid])(
    'refuses %j with reason shape',
    (input) => {
      expect(() => parseTarget(input)).toThrow(
        expect.objectContaining({ code: 'INVALID_TARGET', status: 400, reason: 'shape' }),
      );
    },
  );

  it.each([
    [{ ...valid, namespace: 'Team-A' }, 'namespace'],
    [{ ...valid, namespace: '' }, 'namespace'],
    [{ name: 'agent-1', kind: 'AgentRuntime' }, 'namespace'],
    [{ ...valid, name: 'agent_1' }, 'name'],
    [{ ...valid, name: 'x'.repeat(64) }, 'name'],
    [{ ...valid, kind: 'agentruntime' }, 'kind'],
    [{ ...valid, kind: 'Pod' }, 'kind'],
    [{ ...valid, kind: 7 }, 'kind'],
    [{ namespace: 'BAD', name: 'BAD', kind: 'BAD' }, 'namespace'],
  ])('refuses %j with reason %s', (input, reason) => {
    expect(() => parseTarget(input)).toThrow(expect.objectContaining({ code: 'INVALID_TARGET', reason }));
  });

  it('uses the configured kinds instead of the defaults', () => {
    expect(parseTarget({ ...valid, kind: 'Notebook' }, { kinds: ['Notebook'] }).kind).toBe('Notebook');
    expect(() => parseTarget(valid, { kinds: ['Notebook'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_TARGET', reason: 'kind' }),
    );
  });

  it('throws TypeError for a bad kinds option', () => {
    expect(() => parseTarget(valid, { kinds: ['code-interpreter'] })).toThrow(TypeError);
    expect(() => parseTarget(valid, { kinds: ['1Kind'] })).toThrow(TypeError);
    expect(() => parseTarget(valid, { kinds: ['K'.repeat(64)] })).toThrow(TypeError);
    expect(() => parseTarget(valid, { kinds: [] })).toThrow(TypeError);
    expect(() => parseTarget(valid, { kinds: [''] })).toThrow(TypeError);
    expect(() => parseTarget(valid, { kinds: 'AgentRuntime' as unknown as string[] })).toThrow(TypeError);
  });

  it('does not invoke getters and refuses them as shape', () => {
    let called = false;
    const input = {
      namespace: 'team-a',
      kind: 'AgentRuntime',
      get name(): string {
        called = true;
        return 'agent-1';
      },
    };
    expect(() => parseTarget(input)).toThrow(
      expect.objectContaining({ code: 'INVALID_TARGET', reason: 'shape' }),
    );
    expect(called).toBe(false);
  });

  it('ignores inherited fields, even from a polluted prototype', () => {
    const input = Object.create(valid) as object;
    expect(() => parseTarget(input)).toThrow(
      expect.objectContaining({ code: 'INVALID_TARGET', reason: 'namespace' }),
    );
  });

  it('refuses proxies whose traps throw, and revoked proxies, with reason shape', () => {
    const hostile = new Proxy(valid, {
      getOwnPropertyDescriptor() {
        throw new Error('boom');
      },
    });
    const { proxy, revoke } = Proxy.revocable(valid, {});
    revoke();
    for (const input of [hostile, proxy]) {
      expect(() => parseTarget(input)).toThrow(
        expect.objectContaining({ code: 'INVALID_TARGET', reason: 'shape' }),
      );
    }
  });

  it('accepts an object with a null prototype', () => {
    const input = Object.assign(Object.create(null) as object, valid);
    expect(parseTarget(input)).toEqual(valid);
  });
});
