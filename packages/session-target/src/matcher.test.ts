import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTargetMatcher, decideTargetMatch } from './matcher.js';
import type { TargetSecurityEvent } from './security-event.js';
import type { Target } from './target.js';

const stored: Target = { namespace: 'team-a', name: 'agent-1', kind: 'AgentRuntime' };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('decideTargetMatch', () => {
  it('matches an equal target held in another object', () => {
    expect(decideTargetMatch(JSON.parse(JSON.stringify(stored)), { ...stored })).toEqual({ ok: true });
  });

  it('names every differing field, in field order', () => {
    expect(decideTargetMatch(stored, { ...stored, kind: 'CodeInterpreter', namespace: 'team-b' })).toEqual({
      ok: false,
      code: 'SESSION_TARGET_MISMATCH',
      reason: 'mismatch',
      fields: ['namespace', 'kind'],
    });
  });

  it('is case- and whitespace-sensitive', () => {
    expect(decideTargetMatch(stored, { ...stored, name: 'Agent-1' })).toMatchObject({
      reason: 'mismatch',
      fields: ['name'],
    });
    expect(decideTargetMatch(stored, { ...stored, name: 'agent-1 ' })).toMatchObject({
      reason: 'mismatch',
      fields: ['name'],
    });
  });

  it.each([
    [{ ...stored, namespace: '' }, ['namespace']],
    [{ name: 'agent-1' }, ['namespace', 'kind']],
    [{ ...stored, kind: null }, ['kind']],
    [{ ...stored, name: 42 }, ['name']],
    [null, ['namespace', 'name', 'kind']],
    ['team-a/agent-1', ['namespace', 'name', 'kind']],
  ])('fails closed on stored binding %j with missing-metadata %j', (binding, fields) => {
    expect(decideTargetMatch(binding, stored)).toEqual({
      ok: false,
      code: 'SESSION_TARGET_MISMATCH',
      reason: 'missing-metadata',
      fields,
    });
  });

  it('reports missing-metadata even when the requested target has the same empty field', () => {
    const empty = { ...stored, name: '' };
    expect(decideTargetMatch(empty, empty)).toMatchObject({ reason: 'missing-metadata', fields: ['name'] });
  });

  it('never reads a stored field from the prototype chain', () => {
    const inherited = Object.create(stored) as object;
    expect(decideTargetMatch(inherited, stored)).toMatchObject({
      reason: 'missing-metadata',
      fields: ['namespace', 'name', 'kind'],
    });
  });

  it('never fills a missing stored field from a polluted Object.prototype', () => {
    const proto = Object.prototype as { kind?: unknown };
    proto.kind = 'AgentRuntime';
    try {
      expect(decideTargetMatch({ namespace: 'team-a', name: 'agent-1' }, stored)).toMatchObject({
        reason: 'missing-metadata',
        fields: ['kind'],
      });
    } finally {
      delete proto.kind;
    }
  });

  it('reads a field whose getter or proxy trap throws as missing', () => {
    const getter = {
      ...stored,
      get kind(): string {
        throw new Error('boom');
      },
    };
    const proxy = new Proxy(stored, {
      get() {
        throw new Error('boom');
      },
    });
    expect(decideTargetMatch(getter, stored)).toMatchObject({ reason: 'missing-metadata', fields: ['kind'] });
    expect(decideTargetMatch(proxy, stored)).toMatchObject({ reason: 'missing-metadata' });
    expect(decideTargetMatch(stored, proxy)).toMatchObject({
      reason: 'mismatch',
      fields: ['namespace', 'name', 'kind'],
    });
  });

  it('returns frozen decisions', () => {
    const decision = decideTargetMatch(stored, { ...stored, kind: 'CodeInterpreter' });
    expect(Object.isFrozen(decision)).toBe(true);
    expect(decision.ok === false && Object.isFrozen(decision.fields)).toBe(true);
  });
});

describe('createTargetMatcher', () => {
  it('returns quietly and emits nothing when the targets match', () => {
    const events: TargetSecurityEvent[] = [];
    const matcher = createTargetMatcher({ onSecurityEvent: (event) => events.push(event) });
    expect(() => matcher.assert('s1', { ...stored }, stored)).not.toThrow();
    expect(matcher.decide('s1', { ...stored }, stored)).toEqual({ ok: true });
    expect(events).toEqual([]);
  });

  it('throws SESSION_TARGET_MISMATCH with the differing fields and emits one event', () => {
    const events: TargetSecurityEvent[] = [];
    const matcher = createTargetMatcher({ onSecurityEvent: (event) => events.push(event) });
    expect(() => matcher.assert('s1', stored, { ...stored, name: 'agent-2' })).toThrow(
      expect.objectContaining({
        code: 'SESSION_TARGET_MISMATCH',
        status: 409,
        reason: 'mismatch',
        fields: ['name'],
      }),
    );
    expect(events).toEqual([
      { type: 'session-target-mismatch', reason: 'mismatch', sessionId: 's1', fields: ['name'] },
    ]);
  });

  it('throws missing-metadata for an incomplete stored binding and emits one event', () => {
    const events: TargetSecurityEvent[] = [];
    const matcher = createTargetMatcher({ onSecurityEvent: (event) => events.push(event) });
    expect(() => matcher.assert('s2', { namespace: 'team-a' }, stored)).toThrow(
      expect.objectContaining({
        code: 'SESSION_TARGET_MISMATCH',
        reason: 'missing-metadata',
        fields: ['name', 'kind'],
      }),
    );
    expect(events).toEqual([
      {
        type: 'session-target-mismatch',
        reason: 'missing-metadata',
        sessionId: 's2',
        fields: ['name', 'kind'],
      },
    ]);
  });

  it('emits an event from decide as well', () => {
    const hook = vi.fn();
    const decision = createTargetMatcher({ onSecurityEvent: hook }).decide('s3', stored, {
      ...stored,
      kind: 'X',
    });
    expect(decision).toMatchObject({
      ok: false,
      code: 'SESSION_TARGET_MISMATCH',
      reason: 'mismatch',
      fields: ['kind'],
    });
    expect(hook).toHaveBeenCalledOnce();
  });

  it('writes a process warning by default, without the session id or target values', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const matcher = createTargetMatcher();
    expect(() => matcher.assert('secret-session-id', stored, { ...stored, namespace: 'team-b' })).toThrow(
      expect.objectContaining({ code: 'SESSION_TARGET_MISMATCH' }),
    );
    expect(warn).toHaveBeenCalledOnce();
    const [message, options] = warn.mock.calls[0] ?? [];
    expect(options).toEqual({ type: 'LatchkeySecurityWarning', code: 'SESSION_TARGET_MISMATCH' });
    expect(String(message)).toContain('namespace');
    expect(String(message)).not.toContain('secret-session-id');
    expect(String(message)).not.toContain('team-');
  });

  it('still refuses, with the typed error, and falls back to the default warning when the hook throws', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const matcher = createTargetMatcher({
      onSecurityEvent: () => {
        throw new Error('hook down');
      },
    });
    expect(() => matcher.assert('s4', stored, { ...stored, kind: 'X' })).toThrow(
      expect.objectContaining({ code: 'SESSION_TARGET_MISMATCH', reason: 'mismatch' }),
    );
    expect(warn).toHaveBeenCalledOnce();
  });

  it('throws TypeError for a hook that is not a function', () => {
    expect(() => createTargetMatcher({ onSecurityEvent: 'log' as unknown as () => void })).toThrow(TypeError);
  });
});
