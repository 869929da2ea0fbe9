import { generateKeyPairSync } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { generateSessionId, isSessionId } from '@latchkey/keystore';
import { sessionId } from '@latchkey/testkit/arbitraries';
import { createBootstrapIssuer, generateSessionKeyPair } from '@latchkey/tokens';
import { describe, expect } from 'vitest';

// tokens (the bootstrap token's `sub`) and keystore (the Redis hash tag) each check session ids
// without importing each other. They must agree, or a session could be created that one of them
// refuses half-way through: after its key is stored, before its sandbox is initialised.

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const issuer = createBootstrapIssuer({ privateKey, issuer: 'latchkey-router', audience: 'latchkey-sandbox' });
const { publicJwk } = await generateSessionKeyPair();

/** Near misses as well as valid ids: braces, spaces, unicode, the 128/129 boundary. */
const candidate = fc.oneof(
  sessionId(),
  fc.string({
    unit: fc.constantFrom('a', 'Z', '9', '-', '_', '{', '}', ' ', '.', '/', 'é', '\n'),
    maxLength: 130,
  }),
  fc.integer({ min: 126, max: 130 }).map((length) => 'a'.repeat(length)),
);

async function tokensAccept(id: string): Promise<boolean> {
  try {
    await issuer.issue({ sessionId: id, sessionPublicKey: publicJwk });
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return false;
  }
}

describe('session ids', () => {
  test.prop([candidate], { numRuns: 200 })('tokens and keystore accept exactly the same ids', async (id) => {
    expect(await tokensAccept(id)).toBe(isSessionId(id));
  });

  test.prop([fc.constant(null)], { numRuns: 20 })('every generated id passes both', async () => {
    const id = generateSessionId();
    expect(isSessionId(id)).toBe(true);
    expect(await tokensAccept(id)).toBe(true);
  });
});
