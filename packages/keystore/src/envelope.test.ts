import { describe, expect, it } from 'vitest';
import { ENVELOPE_VERSION, envelopeKeyId, openEnvelope, prepareSeal, sealEnvelope } from './envelope.js';
import { createKeyring } from './keyring.js';

const keyring = createKeyring({
  current: 'k1',
  keys: { k1: new Uint8Array(32).fill(1), k0: new Uint8Array(32).fill(2) },
});
const fixedIv = (): Uint8Array => new Uint8Array(12).fill(0xaa);
const plaintext = Buffer.from('{"kty":"EC"}');

const reject = (text: string, reason: string, sessionId = 's1'): void => {
  expect(() => openEnvelope(keyring, sessionId, text)).toThrow(
    expect.objectContaining({ code: 'DECRYPT_FAILED', status: 500, reason }),
  );
};

describe('sealEnvelope', () => {
  it('lays out version, kid length, kid, IV, ciphertext and tag', () => {
    const bytes = Buffer.from(sealEnvelope(keyring, 's1', plaintext, { randomBytes: fixedIv }), 'base64url');
    expect(bytes[0]).toBe(ENVELOPE_VERSION);
    expect(bytes[1]).toBe(2);
    expect(bytes.subarray(2, 4).toString('latin1')).toBe('k1');
    expect(bytes.subarray(4, 16)).toEqual(Buffer.from(fixedIv()));
    expect(bytes.byteLength).toBe(4 + 12 + plaintext.byteLength + 16);
  });

  it('writes base64url without padding', () => {
    expect(sealEnvelope(keyring, 's1', plaintext)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('names the current key id', () => {
    expect(envelopeKeyId(sealEnvelope(keyring, 's1', plaintext))).toBe('k1');
  });

  it('checks the session id', () => {
    expect(() => sealEnvelope(keyring, 'a{b}', plaintext)).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST', reason: 'invalid-session-id' }),
    );
  });
});

describe('openEnvelope', () => {
  const sealed = sealEnvelope(keyring, 's1', plaintext);

  it('opens what sealEnvelope sealed for the same session', () => {
    expect(Buffer.from(openEnvelope(keyring, 's1', sealed)).toString()).toBe(plaintext.toString());
  });

  it('opens an entry under an older key id of the keyring', () => {
    const older = createKeyring({ current: 'k0', keys: { k0: new Uint8Array(32).fill(2) } });
    expect(Buffer.from(openEnvelope(keyring, 's1', sealEnvelope(older, 's1', plaintext))).toString()).toBe(
      plaintext.toString(),
    );
  });

  it('refuses a value moved to another session', () => reject(sealed, 'authentication-failed', 's2'));

  it('refuses text that is not base64url', () => {
    reject(`${sealed}=`, 'malformed');
    reject(`${sealed.slice(0, -1)}+`, 'malformed');
    reject(' ', 'malformed');
    reject(JSON.stringify({ kty: 'EC' }), 'malformed');
  });

  it('refuses base64url with non-zero trailing bits (non-canonical)', () => {
    const canonical = Buffer.from([1, 2, 3, 4]).toString('base64url'); // 'AQIDBA'
    reject(`${canonical.slice(0, -1)}B`, 'malformed');
  });

  it('refuses short input', () => {
    reject('', 'too-short');
    reject('AQ', 'too-short');
    reject(sealed.slice(0, 40), 'too-short');
  });

  it('refuses an unknown version', () => {
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[0] = 2;
    reject(bytes.toString('base64url'), 'unknown-version');
    bytes[0] = 0;
    reject(bytes.toString('base64url'), 'unknown-version');
  });

  it('refuses an unknown key id', () => {
    const other = createKeyring({ current: 'k9', keys: { k9: new Uint8Array(32).fill(9) } });
    reject(sealEnvelope(other, 's1', plaintext), 'unknown-key-id');
  });

  it('refuses a zero-length or non-URL-safe key id', () => {
    const bytes = Buffer.from(sealed, 'base64url');
    const zero = Buffer.from(bytes);
    zero[1] = 0;
    reject(zero.toString('base64url'), 'malformed');
    const bad = Buffer.from(bytes);
    bad[2] = 0x7b; // '{'
    reject(bad.toString('base64url'), 'malformed');
  });

  it('refuses a truncated tag', () => {
    const bytes = Buffer.from(sealed, 'base64url');
    reject(bytes.subarray(0, bytes.byteLength - 4).toString('base64url'), 'authentication-failed');
  });

  it('refuses text longer than 64 KiB before decoding it', () => reject('A'.repeat(65_540), 'malformed'));
});

describe('prepareSeal', () => {
  const ivOf = (text: string): string => Buffer.from(text, 'base64url').subarray(4, 16).toString('hex');

  it('gives the next seal a fresh IV of its own, used once, and the result opens', () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 50; i++) {
      prepareSeal(keyring);
      const first = sealEnvelope(keyring, 's1', plaintext); // takes the spare
      const second = sealEnvelope(keyring, 's1', plaintext); // no spare left: its own IV
      for (const text of [first, second]) {
        ivs.add(ivOf(text));
        expect(Buffer.from(openEnvelope(keyring, 's1', text)).toString()).toBe(plaintext.toString());
      }
    }
    expect(ivs.size).toBe(100);
  });

  it('leaves a spare of another key unused, and never uses a spare with an injected IV', () => {
    const other = createKeyring({ current: 'k9', keys: { k9: new Uint8Array(32).fill(9) } });
    prepareSeal(other);
    const sealed = sealEnvelope(keyring, 's2', plaintext);
    expect(envelopeKeyId(sealed)).toBe('k1');
    expect(Buffer.from(openEnvelope(keyring, 's2', sealed)).toString()).toBe(plaintext.toString());
    prepareSeal(keyring);
    const fixed = sealEnvelope(keyring, 's2', plaintext, { randomBytes: fixedIv });
    expect(ivOf(fixed)).toBe('aa'.repeat(12));
  });
});
