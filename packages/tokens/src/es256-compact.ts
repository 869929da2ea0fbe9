/**
 * The one ES256 compact-JWS path that session and access tokens are signed and verified on: size cap,
 * three canonical base64url segments (no padding), strict JSON (no duplicate members), the header rules
 * (`alg: ES256` only, exact `typ`, only `alg`/`typ`/`kid`, `kid` picking among configured keys), a
 * 64-byte JOSE signature checked with `node:crypto` — on the libuv threadpool for the async form, on
 * the calling thread for the sync one. Claims are judged only once the signature holds.
 */
import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { TokenFailureReason } from '@latchkey/errors';
import { checkHeader, decodePayload, decodeSignature, splitCompact } from './compact.js';
import { derToJoseBase64url, joseToDer } from './signature.js';

const ES256: readonly ['ES256'] = ['ES256'];
const ES256_SIGNATURE_BYTES = 64;
// Header segments that passed the checks, with the key they picked; small and never evicting.
const MAX_REMEMBERED_HEADERS = 64;

/** The base64url header segment a signer puts in front of every token of `typ`. */
export function es256HeaderSegment(typ: string, kid?: string): string {
  const header = kid === undefined ? { alg: 'ES256', typ } : { alg: 'ES256', typ, kid };
  return Buffer.from(JSON.stringify(header)).toString('base64url');
}

/** Signs `signingInput` (`header.payload`) on the threadpool and resolves the whole compact token. */
export function signCompact(privateKey: KeyObject, signingInput: string): Promise<string> {
  return new Promise((resolve, reject) => {
    cryptoSign('sha256', Buffer.from(signingInput, 'latin1'), privateKey, (error, der) => {
      if (error) reject(error);
      else resolve(`${signingInput}.${derToJoseBase64url(der)}`);
    });
  });
}

/** {@link signCompact} on the calling thread. */
export function signCompactSync(privateKey: KeyObject, signingInput: string): string {
  return `${signingInput}.${derToJoseBase64url(cryptoSign('sha256', Buffer.from(signingInput, 'latin1'), privateKey))}`;
}

/** What {@link createCompactVerifier} needs from a token kind. */
export interface CompactVerifierRules<T> {
  readonly typ: string;
  /** The key for a header that passed the checks, by its `kid`; a reason refuses the token. */
  readonly keyFor: (kid: string | undefined) => KeyObject | TokenFailureReason;
  /** Judges the decoded claims of an authentic token: the result, or the reason to refuse it. */
  readonly accept: (claims: Record<string, unknown>) => T | TokenFailureReason;
  /** The error a refusal rejects (or throws) with. */
  readonly refuse: (reason: TokenFailureReason) => Error;
}

/** Verifies one kind of ES256 compact token, in both forms. */
export interface CompactVerifier<T> {
  verify(token: string): Promise<T>;
  verifySync(token: string): T;
}

interface Prepared {
  readonly key: KeyObject;
  readonly data: Buffer;
  readonly der: Buffer;
  readonly payload: string;
}

/** Creates the verifier of one token kind; see the module comment for what it checks. */
export function createCompactVerifier<T extends object>(rules: CompactVerifierRules<T>): CompactVerifier<T> {
  const { typ, keyFor, accept, refuse } = rules;
  const headers = new Map<string, KeyObject>();

  const prepare = (token: unknown): Prepared | TokenFailureReason => {
    const parts = splitCompact(token);
    if (typeof parts === 'string') return parts;
    let key = headers.get(parts.header);
    if (key === undefined) {
      const header = checkHeader(parts.header, typ, ES256);
      if (typeof header === 'string') return header;
      const picked = keyFor(header.kid);
      if (typeof picked === 'string') return picked;
      key = picked;
      if (headers.size < MAX_REMEMBERED_HEADERS) headers.set(parts.header, key);
    }
    const signature = decodeSignature(parts.signature);
    if (typeof signature === 'string') return signature;
    if (signature.length !== ES256_SIGNATURE_BYTES) return 'bad-signature';
    return {
      key,
      data: Buffer.from(parts.signingInput, 'latin1'),
      der: joseToDer(signature),
      payload: parts.payload,
    };
  };

  return {
    verify(token: string): Promise<T> {
      const prepared = prepare(token);
      if (typeof prepared === 'string') return Promise.reject(refuse(prepared));
      return new Promise<T>((resolve, reject) => {
        // The signature check runs on the threadpool; the claims are decoded on this thread meanwhile,
        // so one-at-a-time latency is the crypto's, not crypto plus parsing.
        let claims: Record<string, unknown> | undefined;
        cryptoVerify('sha256', prepared.data, prepared.key, prepared.der, (error, valid) => {
          if (claims === undefined) return; // already refused as malformed
          if (error !== null || valid !== true) return reject(refuse('bad-signature'));
          const result = accept(claims);
          if (typeof result === 'string') reject(refuse(result));
          else resolve(result);
        });
        const decoded = decodePayload(prepared.payload);
        if (typeof decoded === 'string') return reject(refuse(decoded));
        claims = decoded;
      });
    },
    verifySync(token: string): T {
      const prepared = prepare(token);
      if (typeof prepared === 'string') throw refuse(prepared);
      // Same order of reasons as the async form: a malformed payload is reported before the signature.
      const claims = decodePayload(prepared.payload);
      if (typeof claims === 'string') throw refuse(claims);
      let valid = false;
      try {
        valid = cryptoVerify('sha256', prepared.data, prepared.key, prepared.der);
      } catch {
        valid = false;
      }
      if (!valid) throw refuse('bad-signature');
      const result = accept(claims);
      if (typeof result === 'string') throw refuse(result);
      return result;
    },
  };
}
