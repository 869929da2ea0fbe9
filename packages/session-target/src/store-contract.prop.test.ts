import { generateKeyPairSync } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { createMemorySessionStore, testRecord } from '@latchkey/keystore/testing';
import { dnsLabel, kindName, LABEL_EDGE_ALPHABET, nearMisses } from '@latchkey/testkit/arbitraries';
import { describe, expect } from 'vitest';
import { isDnsLabel, isKindName, parseTarget } from './target.js';

// session-target and keystore must agree on what a target is without importing each other: a target
// parseTarget accepts must be storable, and the store must refuse what parseTarget refuses. The store
// is driven through its public API (put validates the record, target included, before writing).
const store = createMemorySessionStore();
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let sequence = 0;

/** Whether the session store accepts a record bound to `target`. */
async function storeAccepts(target: { namespace: string; name: string; kind: string }): Promise<boolean> {
  const sessionId = `contract-${sequence++}`;
  try {
    await store.put(sessionId, { record: testRecord(Date.now(), { target }), privateKey });
  } catch (error) {
    // The store refuses a malformed record as a caller bug.
    expect(error).toBeInstanceOf(TypeError);
    return false;
  }
  await store.delete(sessionId);
  return true;
}

const labelCandidates = nearMisses(dnsLabel(), LABEL_EDGE_ALPHABET);
const kindCandidates = nearMisses(kindName(), LABEL_EDGE_ALPHABET);

describe('session-target and keystore agree on targets', () => {
  test.prop([labelCandidates, dnsLabel()], { numRuns: 300 })(
    'a namespace or name is a DNS-1123 label for session-target exactly when the store accepts it',
    async (candidate, other) => {
      expect(await storeAccepts({ namespace: candidate, name: other, kind: 'AgentRuntime' })).toBe(
        isDnsLabel(candidate),
      );
      expect(await storeAccepts({ namespace: other, name: candidate, kind: 'AgentRuntime' })).toBe(
        isDnsLabel(candidate),
      );
    },
  );

  test.prop([kindCandidates], { numRuns: 200 })(
    'a kind session-target allows in its kinds option is exactly a kind the store accepts',
    async (candidate) => {
      expect(await storeAccepts({ namespace: 'team-a', name: 'agent-1', kind: candidate })).toBe(
        isKindName(candidate),
      );
    },
  );

  test.prop([dnsLabel(), dnsLabel(), fc.uniqueArray(kindName(), { minLength: 1, maxLength: 4 })], {
    numRuns: 100,
  })(
    'every target parseTarget returns, with any kinds it allows, is storable',
    async (namespace, name, kinds) => {
      const target = parseTarget({ namespace, name, kind: kinds[0] }, { kinds });
      expect(await storeAccepts(target)).toBe(true);
    },
  );
});
