import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { KEY_BYTES } from './aead.js';

const KID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Keyring input: the id of the key new writes use, and every key (by id) that may still decrypt. */
export interface KeyringInput {
  /** Key id used for every new write; must be one of `keys`. */
  readonly current: string;
  /** 256-bit keys by id: 32 bytes, or their base64 / base64url text. Ids: 1 to 64 of `A-Z a-z 0-9 . _ -`. */
  readonly keys: Readonly<Record<string, string | Uint8Array>>;
}

/**
 * A validated set of 256-bit key-encryption keys, made by {@link createKeyring}. The key bytes are held
 * privately: a keyring never serialises or prints them.
 *
 * @example
 * ```ts
 * const keyring: Keyring = createKeyring({ current: 'k2', keys: { k2: newKey, k1: oldKey } });
 * keyring.keyIds; // ['k2', 'k1']
 * ```
 */
export interface Keyring {
  /** Key id of the key new writes use. */
  readonly current: string;
  /** Every key id that can decrypt, `current` included. */
  readonly keyIds: readonly string[];
  /** The key bytes of `kid`, or `undefined` when the keyring does not hold it. */
  key(kid: string): Uint8Array | undefined;
  /** Key ids only, never key bytes. */
  toJSON(): { current: string; keyIds: readonly string[] };
}

// Not exported: the only way to a Keyring is createKeyring, which validates every key.
class ValidatedKeyring implements Keyring {
  readonly current: string;
  readonly keyIds: readonly string[];
  readonly #keys: ReadonlyMap<string, Uint8Array>;
  // A cipher built from a KeyObject skips importing the raw key bytes on every seal and open
  // (createCipheriv from bytes measured ~1.5 µs slower per call on the bench VM).
  readonly #cipherKeys = new Map<string, KeyObject>();

  constructor(current: string, keys: ReadonlyMap<string, Uint8Array>) {
    this.current = current;
    this.#keys = keys;
    this.keyIds = Object.freeze([...keys.keys()]);
  }

  key(kid: string): Uint8Array | undefined {
    return this.#keys.get(kid);
  }

  /** The key as a secret `KeyObject`, made once per key id. */
  cipherKey(kid: string): KeyObject | undefined {
    let made = this.#cipherKeys.get(kid);
    if (made === undefined) {
      const bytes = this.#keys.get(kid);
      if (bytes === undefined) return undefined;
      made = createSecretKey(bytes);
      this.#cipherKeys.set(kid, made);
    }
    return made;
  }

  toJSON(): { current: string; keyIds: readonly string[] } {
    return { current: this.current, keyIds: this.keyIds };
  }
}

function decodeKey(kid: string, value: string | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'string') {
    if (value.includes('-----BEGIN')) {
      throw new TypeError(
        `keyring key "${kid}" is PEM text: give 32 random bytes, never derive a key from a PEM`,
      );
    }
    if (BASE64.test(value)) bytes = Buffer.from(value, 'base64');
    else if (BASE64URL.test(value) && value.length % 4 !== 1) bytes = Buffer.from(value, 'base64url');
    else throw new TypeError(`keyring key "${kid}" is not base64 or base64url`);
  } else if (value instanceof Uint8Array) {
    bytes = value;
  } else {
    throw new TypeError(`keyring key "${kid}" must be a base64 string or a Uint8Array`);
  }
  if (bytes.byteLength !== KEY_BYTES)
    throw new TypeError(`keyring key "${kid}" must be exactly 32 bytes (256 bits)`);
  // A private copy: a caller that later zeroes or reuses its buffer does not change the keyring. A
  // Buffer, because node:crypto takes one without converting it on every cipher it creates.
  return Buffer.from(bytes);
}

/**
 * Validates a keyring: every key exactly 256 bits, `current` among them, key ids short and URL-safe.
 * Mistakes throw a `TypeError` (configuration bugs, not requests).
 *
 * @example
 * ```ts
 * const keyring = createKeyring(JSON.parse(process.env.LATCHKEY_KEYRING ?? ''));
 * // { "current": "2026-11", "keys": { "2026-11": "<base64 of 32 bytes>", "2026-05": "…" } }
 * ```
 */
export function createKeyring(input: KeyringInput): Keyring {
  if (typeof input !== 'object' || input === null) throw new TypeError('keyring must be { current, keys }');
  const { current, keys } = input;
  if (typeof keys !== 'object' || keys === null) throw new TypeError('keyring.keys must be an object');
  const map = new Map<string, Uint8Array>();
  for (const [kid, value] of Object.entries(keys)) {
    if (!KID.test(kid)) throw new TypeError('keyring key ids are 1 to 64 characters of A-Z a-z 0-9 . _ -');
    map.set(kid, decodeKey(kid, value));
  }
  if (typeof current !== 'string' || !map.has(current))
    throw new TypeError('keyring.current must name one of keyring.keys');
  return new ValidatedKeyring(current, map);
}

/**
 * HKDF-SHA-256 (RFC 5869): derives a 256-bit key for one purpose from a master secret of at least 32
 * random bytes. Use a distinct `info` (text or bytes) per purpose (`'latchkey/keystore/kek/2026-11'`, …) so one master
 * secret never yields the same key twice. The master is raw bytes or their base64 text — never a PEM.
 *
 * @example
 * ```ts
 * const master = process.env.LATCHKEY_MASTER_SECRET ?? '';
 * const keyring = createKeyring({ current: 'k1', keys: { k1: deriveKey(master, 'latchkey/keystore/kek/k1') } });
 * ```
 */
export function deriveKey(
  master: string | Uint8Array,
  info: string | Uint8Array,
  salt: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const bytes = typeof master === 'string' ? decodeMaster(master) : master;
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < KEY_BYTES) {
    throw new TypeError('the master secret must be at least 32 bytes');
  }
  const infoBytes = typeof info === 'string' ? Buffer.from(info, 'utf8') : info;
  if (!(infoBytes instanceof Uint8Array) || infoBytes.byteLength === 0) {
    throw new TypeError('deriveKey needs a non-empty info per purpose');
  }
  return new Uint8Array(hkdfSync('sha256', bytes, salt, infoBytes, KEY_BYTES));
}

function decodeMaster(master: string): Uint8Array {
  if (master.includes('-----BEGIN'))
    throw new TypeError('never derive a key from PEM text: give random bytes');
  if (BASE64.test(master)) return Buffer.from(master, 'base64');
  if (BASE64URL.test(master) && master.length % 4 !== 1) return Buffer.from(master, 'base64url');
  throw new TypeError('the master secret must be base64 or base64url text, or bytes');
}

/**
 * The key of `kid` in the form a cipher takes fastest: a cached secret `KeyObject` for a keyring from
 * {@link createKeyring}, the bytes for any other object of the `Keyring` shape. Internal.
 *
 * @example
 * ```ts
 * const key = cipherKeyOf(keyring, keyring.current);
 * ```
 */
export function cipherKeyOf(keyring: Keyring, kid: string): KeyObject | Uint8Array | undefined {
  return keyring instanceof ValidatedKeyring ? keyring.cipherKey(kid) : keyring.key(kid);
}
