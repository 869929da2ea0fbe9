import { fc, test } from '@fast-check/vitest';
import { LatchkeyError, type TargetField } from '@latchkey/errors';
import { sessionId, target } from '@latchkey/testkit/arbitraries';
import { expect } from 'vitest';
import { createTargetMatcher, decideTargetMatch } from './matcher.js';

const FIELDS: readonly TargetField[] = ['namespace', 'name', 'kind'];
const field = fc.constantFrom(...FIELDS);
const quiet = createTargetMatcher({ onSecurityEvent: () => undefined });

test.prop([target()])('a complete target always matches itself, and a copy of itself', (t) => {
  expect(decideTargetMatch(t, t)).toEqual({ ok: true });
  expect(decideTargetMatch(JSON.parse(JSON.stringify(t)), { ...t })).toEqual({ ok: true });
});

test.prop([target(), field, fc.anything()])(
  'changing any one requested field never matches, and names exactly that field',
  (t, key, replacement) => {
    fc.pre(replacement !== t[key]);
    expect(decideTargetMatch(t, { ...t, [key]: replacement })).toEqual({
      ok: false,
      code: 'SESSION_TARGET_MISMATCH',
      reason: 'mismatch',
      fields: [key],
    });
  },
);

test.prop([target(), field, fc.constantFrom('', undefined, null, 0, [], {}, 'missing')])(
  'any empty or missing stored field never matches, whatever is requested',
  (t, key, empty) => {
    const binding: Record<string, unknown> = { ...t };
    if (empty === 'missing') delete binding[key];
    else binding[key] = empty;
    const decision = decideTargetMatch(binding, t);
    expect(decision).toMatchObject({
      ok: false,
      code: 'SESSION_TARGET_MISMATCH',
      reason: 'missing-metadata',
    });
    expect(decision.ok === false && decision.fields.includes(key)).toBe(true);
  },
);

test.prop([sessionId(), fc.anything({ withNullPrototype: true }), fc.anything({ withNullPrototype: true })])(
  'the matcher is total: a decision, or SESSION_TARGET_MISMATCH, for any two values',
  (id, stored, requested) => {
    const decision = decideTargetMatch(stored, requested);
    expect(typeof decision.ok).toBe('boolean');
    try {
      quiet.assert(id, stored, requested as never);
    } catch (error) {
      expect(LatchkeyError.is(error, 'SESSION_TARGET_MISMATCH')).toBe(true);
      expect(decision.ok).toBe(false);
    }
  },
);

test.prop([target(), target()])('matching is symmetric for complete targets', (a, b) => {
  expect(decideTargetMatch(a, b).ok).toBe(decideTargetMatch(b, a).ok);
  expect(decideTargetMatch(a, b).ok).toBe(
    a.namespace === b.namespace && a.name === b.name && a.kind === b.kind,
  );
});

test.prop([sessionId(), target(), target()])(
  'every refusal emits exactly one event with the same fields',
  (id, a, b) => {
    const events: unknown[] = [];
    const decision = createTargetMatcher({ onSecurityEvent: (event) => events.push(event) }).decide(id, a, b);
    if (decision.ok) expect(events).toEqual([]);
    else
      expect(events).toEqual([
        { type: 'session-target-mismatch', reason: decision.reason, sessionId: id, fields: decision.fields },
      ]);
  },
);

const throwing = (label: string) => () => {
  throw new Error(label);
};
/** Thunks, because fast-check inspects generated values and would trip over the proxies itself. */
const hostile: fc.Arbitrary<() => unknown> = fc.oneof(
  target().map((t) => () => new Proxy(t, { get: throwing('get'), has: throwing('has') })),
  target().map((t) => () => new Proxy(t, { getOwnPropertyDescriptor: throwing('descriptor') })),
  target().map((t) => () => Object.defineProperty({ ...t }, 'kind', { get: throwing('getter') })),
  fc.constant(() => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  }),
);

test.prop([sessionId(), target(), hostile, fc.boolean()])(
  'the matcher refuses hostile stored or requested objects with a decision, never another throw',
  (id, t, make, hostileIsStored) => {
    const [stored, requested] = hostileIsStored ? [make(), t] : [t, make()];
    expect(decideTargetMatch(stored, requested).ok).toBe(false);
    expect(() => quiet.assert(id, stored, requested as never)).toThrow(
      expect.objectContaining({ code: 'SESSION_TARGET_MISMATCH' }),
    );
  },
);
