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
