import { fc, test } from '@fast-check/vitest';
import { sessionId } from '@latchkey/testkit/arbitraries';
import { expect } from 'vitest';
import { openEnvelope, sealEnvelope } from './envelope.js';
import { createKeyring } from './keyring.js';

const keyBytes = fc.uint8Array({ minLength: 32, maxLength: 32 });
const kid = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);

test.prop([keyBytes, kid, sessionId(), fc.uint8Array({ maxLength: 512 })])(
  'openEnvelope undoes sealEnvelope for any key, key id, session id and plaintext',
  (key, id, session, plaintext) => {
    const keyring = createKeyring({ current: id, keys: { [id]: key } });
    expect(Buffer.from(openEnvelope(keyring, session, sealEnvelope(keyring, session, plaintext)))).toEqual(
      Buffer.from(plaintext),
    );
  },
);

test.prop([
  keyBytes,
  sessionId(),
  fc.uint8Array({ maxLength: 256 }),
  fc.nat(),
  fc.integer({ min: 1, max: 255 }),
])('any changed byte of the stored value fails with a typed error', (key, session, plaintext, at, xor) => {
  const keyring = createKeyring({ current: 'k', keys: { k: key } });
  const bytes = Buffer.from(sealEnvelope(keyring, session, plaintext), 'base64url');
  const index = at % bytes.byteLength;
  bytes[index] = (bytes[index] ?? 0) ^ xor;
  expect(() => openEnvelope(keyring, session, bytes.toString('base64url'))).toThrow(
    expect.objectContaining({ code: 'DECRYPT_FAILED' }),
  );
});

test.prop([keyBytes, sessionId(), sessionId(), fc.uint8Array({ maxLength: 256 })])(
  'a value moved between two session ids fails',
  (key, from, to, plaintext) => {
    fc.pre(from !== to);
    const keyring = createKeyring({ current: 'k', keys: { k: key } });
    expect(() => openEnvelope(keyring, to, sealEnvelope(keyring, from, plaintext))).toThrow(
      expect.objectContaining({ code: 'DECRYPT_FAILED', reason: 'authentication-failed' }),
    );
  },
);

test.prop([keyBytes, sessionId(), fc.uint8Array({ maxLength: 256 })])(
  'the same plaintext never gives the same stored value twice',
  (key, session, plaintext) => {
    const keyring = createKeyring({ current: 'k', keys: { k: key } });
    const values = new Set(Array.from({ length: 8 }, () => sealEnvelope(keyring, session, plaintext)));
    expect(values.size).toBe(8);
  },
);

test.prop([keyBytes, fc.string({ maxLength: 300 })])(
  'any text that is not an envelope fails with a typed error, never a crash',
  (key, text) => {
    const keyring = createKeyring({ current: 'k', keys: { k: key } });
    expect(() => openEnvelope(keyring, 's', text)).toThrow(
      expect.objectContaining({ code: 'DECRYPT_FAILED' }),
    );
  },
);
