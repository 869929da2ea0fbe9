import { fc, test } from '@fast-check/vitest';
import { LatchkeyError } from '@latchkey/errors';
import { dnsLabel, target } from '@latchkey/testkit/arbitraries';
import { expect } from 'vitest';
import { isDnsLabel, parseTarget } from './target.js';

/**
 * Objects built to trip a careless reader: getters that throw, proxies whose every trap throws, revoked
 * proxies, inherited or prototype-less targets. Generated as thunks, because fast-check itself inspects
 * the values it generates and would trip over the proxies first.
 */
const throwing = (label: string) => () => {
  throw new Error(label);
};
const hostile: fc.Arbitrary<() => unknown> = fc.oneof(
  fc.constant(() =>
    Object.defineProperty({ name: 'agent-1', kind: 'AgentRuntime' }, 'namespace', {
      enumerable: true,
      get: throwing('getter'),
    }),
  ),
  target().map(
    (t) => () =>
      new Proxy(t, {
        get: throwing('get'),
        getOwnPropertyDescriptor: throwing('descriptor'),
        has: throwing('has'),
        ownKeys: throwing('ownKeys'),
        getPrototypeOf: throwing('getPrototypeOf'),
      }),
  ),
  target().map(
    (t) => () => new Proxy(t, { getOwnPropertyDescriptor: () => ({ value: 'x', configurable: true }) }),
  ),
  target().map((t) => () => Object.create(t) as unknown),
  target().map((t) => () => Object.setPrototypeOf({ ...t }, null) as unknown),
  fc.constant(() => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  }),
  fc.constant(() => {
    const { proxy, revoke } = Proxy.revocable([], {});
    revoke();
    return proxy;
  }),
);

const expectOnlyInvalidTarget = (input: unknown): void => {
  try {
    parseTarget(input);
  } catch (error) {
    expect(LatchkeyError.is(error, 'INVALID_TARGET')).toBe(true);
  }
};

test.prop([fc.anything({ withNullPrototype: true, withObjectString: true, withBoxedValues: true })])(
  'parseTarget throws nothing but INVALID_TARGET for any value',
  expectOnlyInvalidTarget,
);

test.prop([hostile])('parseTarget throws nothing but INVALID_TARGET for hostile objects', (make) =>
  expectOnlyInvalidTarget(make()),
);

test.prop([
  fc.record({ namespace: fc.anything(), name: fc.anything(), kind: fc.anything() }, { requiredKeys: [] }),
])(
  'parseTarget throws nothing but INVALID_TARGET for any record of the three fields',
  expectOnlyInvalidTarget,
);

test.prop([target(), fc.dictionary(fc.string(), fc.anything())])(
  'parseTarget returns exactly the three fields of a valid target, whatever else it carries',
  (valid, extra) => {
    expect(parseTarget({ ...extra, ...valid })).toEqual(valid);
  },
);

test.prop([dnsLabel()])('every generated DNS label is accepted', (label) => {
  expect(isDnsLabel(label)).toBe(true);
});

test.prop([fc.string({ maxLength: 80 })])('isDnsLabel agrees with the DNS-1123 definition', (value) => {
  const expected =
    value.length >= 1 &&
    value.length <= 63 &&
    [...value].every((c) => /[a-z0-9-]/.test(c) && c.length === 1) &&
    value[0] !== '-' &&
    value[value.length - 1] !== '-';
  expect(isDnsLabel(value)).toBe(expected);
});
