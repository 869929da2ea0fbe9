import fc from 'fast-check';

const URL_SAFE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';
const LABEL_INNER = 'abcdefghijklmnopqrstuvwxyz0123456789-';
const LABEL_EDGE = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A valid session id: URL-safe characters, 1 to 128 long, no braces (they would break the hash tag). */
export const sessionId = (): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...URL_SAFE), minLength: 1, maxLength: 128 });

/** A DNS-1123 label: 1 to 63 lowercase alphanumerics or `-`, alphanumeric at both ends. */
export const dnsLabel = (): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.constantFrom(...LABEL_EDGE),
      fc.string({ unit: fc.constantFrom(...LABEL_INNER), maxLength: 61 }),
      fc.constantFrom(...LABEL_EDGE),
    )
    .map(([first, middle, last]) => (middle.length === 0 ? first : first + middle + last));

/** A complete session target with the default kinds. */
export const target = (
  kinds: readonly string[] = ['AgentRuntime', 'CodeInterpreter'],
): fc.Arbitrary<{ namespace: string; name: string; kind: string }> =>
  fc.record({ namespace: dnsLabel(), name: dnsLabel(), kind: fc.constantFrom(...kinds) });

const KIND_FIRST = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KIND_REST = `${KIND_FIRST}0123456789`;

/** A kind name as the session store keeps it: a letter, then up to 62 letters or digits (`AgentRuntime`). */
export const kindName = (): fc.Arbitrary<string> =>
  fc
    .tuple(fc.constantFrom(...KIND_FIRST), fc.string({ unit: fc.constantFrom(...KIND_REST), maxLength: 62 }))
    .map(([first, rest]) => first + rest);

/**
 * Strings near a rule's edge, for contract tests where two packages must agree on a wire rule: valid
 * values of `valid`, each with one character replaced, inserted or appended from `alphabet` (often
 * invalid, sometimes still valid), and short strings over `alphabet`.
 */
export const nearMisses = (valid: fc.Arbitrary<string>, alphabet: string): fc.Arbitrary<string> => {
  const unit = fc.constantFrom(...alphabet);
  return fc.oneof(
    valid,
    fc.tuple(valid, fc.nat(), unit).map(([value, at, char]) => {
      const i = at % (value.length + 1);
      return value.slice(0, i) + char + value.slice(i + 1);
    }),
    fc.tuple(valid, fc.nat(), unit).map(([value, at, char]) => {
      const i = at % (value.length + 1);
      return value.slice(0, i) + char + value.slice(i);
    }),
    fc.tuple(valid, fc.string({ unit, minLength: 1, maxLength: 3 })).map(([value, tail]) => value + tail),
    fc.string({ unit, maxLength: 70 }),
  );
};

/** Characters that sit just outside the DNS-1123 label and kind-name alphabets, and some inside. */
export const LABEL_EDGE_ALPHABET = 'az09-AZ_.\n \u0000\u00e9/:{}';
