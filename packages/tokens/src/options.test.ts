import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { integerOption, isKeyObject, keyOption, stringOption, toleranceOption } from './options.js';

describe('integerOption', () => {
  it('takes the fallback, and throws TypeError outside the range or for non-integers', () => {
    expect(integerOption('x', undefined, 7, 1, 10)).toBe(7);
    expect(() => integerOption('x', 11, 7, 1, 10)).toThrow(TypeError);
    expect(() => integerOption('x', 1.5, 7, 1, 10)).toThrow(TypeError);
  });
});

describe('stringOption', () => {
  it('refuses an empty or non-string value', () => {
    expect(stringOption('issuer', 'a')).toBe('a');
    expect(() => stringOption('issuer', '')).toThrow(TypeError);
    expect(() => stringOption('issuer', 1)).toThrow(TypeError);
  });
});

describe('toleranceOption', () => {
  it('defaults to 5 and allows 0 to 60', () => {
    expect(toleranceOption(undefined)).toBe(5);
    expect(toleranceOption(0)).toBe(0);
    expect(() => toleranceOption(61)).toThrow(TypeError);
  });
});

describe('keyOption', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  it('accepts a KeyObject of the right type that fits the algorithm', () => {
    expect(keyOption('publicKey', ec.publicKey, 'public', ['ES256'])).toBe(ec.publicKey);
  });

  it('refuses a look-alike object, the wrong half and a key of another family', () => {
    const fake = { type: 'public', asymmetricKeyType: 'ec', [Symbol.toStringTag]: 'KeyObject' };
    expect(isKeyObject(fake)).toBe(false);
    expect(() => keyOption('publicKey', fake, 'public', ['ES256'])).toThrow(TypeError);
    expect(() => keyOption('publicKey', ec.privateKey, 'public', ['ES256'])).toThrow(TypeError);
    expect(() =>
      keyOption('publicKey', generateKeyPairSync('ed25519').publicKey, 'public', ['ES256']),
    ).toThrow(TypeError);
  });
});
