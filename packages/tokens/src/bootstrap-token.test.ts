import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AUDIENCE,
  BOOTSTRAP_HEADER,
  ec,
  forge,
  ISSUER,
  NOW,
  NOW_MS,
  now,
  rsa,
  SESSION_HEADER,
  SESSION_ID,
  without,
} from '../test/helpers.js';
import {
  type BootstrapVerifierOptions,
  createBootstrapIssuer,
  createBootstrapVerifier,
} from './bootstrap-token.js';
import { createMemoryReplayGuard } from './replay-guard.js';
import { exportSessionPublicJwk } from './session-keys.js';

const sessionJwk = exportSessionPublicJwk(ec.publicKey);
const guard = () => createMemoryReplayGuard({ max: 100, now });
const makeVerifier = (extra: Partial<BootstrapVerifierOptions> = {}) =>
  createBootstrapVerifier({
    publicKey: rsa.publicKey,
    issuer: ISSUER,
    audience: AUDIENCE,
    replayGuard: guard(),
    now,
    ...extra,
  });
const issuer = createBootstrapIssuer({ privateKey: rsa.privateKey, issuer: ISSUER, audience: AUDIENCE, now });

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: SESSION_ID,
    iat: NOW,
    exp: NOW + 60,
    jti: 'bootstrap-jti-0123456789',
    session_public_key: sessionJwk,
    ...overrides,
  };
}

async function refused(token: string, reason: string, verifier = makeVerifier()): Promise<void> {
  await expect(verifier.verify(token)).rejects.toMatchObject({
    code: 'INVALID_BOOTSTRAP_TOKEN',
    status: 401,
    reason,
  });
}

describe('createBootstrapIssuer', () => {
  it('issues RS256 tokens with typ, a 60 s lifetime, a 128-bit jti and the session key', async () => {
    const token = await issuer.issue({ sessionId: SESSION_ID, sessionPublicKey: ec.publicKey });
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toEqual({ alg: 'RS256', typ: 'latchkey-bootstrap+jwt' });
    expect(payload).toMatchObject({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: SESSION_ID,
      iat: NOW,
      exp: NOW + 60,
      session_public_key: sessionJwk,
    });
    expect(Buffer.from(payload.jti, 'base64url')).toHaveLength(16);
    const verified = await makeVerifier().verify(token);
    expect(verified).toMatchObject({
      sessionId: SESSION_ID,
      sessionPublicJwk: sessionJwk,
      tokenId: payload.jti,
      expiresAtSeconds: NOW + 60,
    });
    expect(verified.sessionPublicKey.equals(ec.publicKey)).toBe(true);
  });

  it.each(['PS256', 'ES256', 'EdDSA'] as const)('issues and verifies %s by option', async (algorithm) => {
    const pair =
      algorithm === 'PS256'
        ? rsa
        : algorithm === 'ES256'
          ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
          : generateKeyPairSync('ed25519');
    const own = createBootstrapIssuer({
      privateKey: pair.privateKey,
      algorithm,
      issuer: ISSUER,
      audience: AUDIENCE,
      now,
    });
    const token = await own.issue({ sessionId: SESSION_ID, sessionPublicKey: sessionJwk });
    await expect(
      makeVerifier({ publicKey: pair.publicKey, algorithms: [algorithm] }).verify(token),
    ).resolves.toMatchObject({ sessionId: SESSION_ID });
    await refused(
      token,
      'alg-not-allowed',
      makeVerifier({
        publicKey: pair.publicKey.asymmetricKeyType === 'rsa' ? pair.publicKey : rsa.publicKey,
      }),
    );
  });

  it('rejects bad options and subjects with TypeError', async () => {
    const base = { privateKey: rsa.privateKey, issuer: ISSUER, audience: AUDIENCE };
    expect(() => createBootstrapIssuer({ ...base, ttlSeconds: 301 })).toThrow(TypeError);
    expect(() => createBootstrapIssuer({ ...base, algorithm: 'ES256' })).toThrow(TypeError);
    expect(() => createBootstrapIssuer({ ...base, privateKey: rsa.publicKey })).toThrow(TypeError);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => createBootstrapIssuer({ ...base, privateKey: small.privateKey })).toThrow(TypeError);
    await expect(
      issuer.issue({ sessionId: 'has space', sessionPublicKey: sessionJwk }),
    ).rejects.toBeInstanceOf(TypeError);
    await expect(
      issuer.issue({
        sessionId: SESSION_ID,
        sessionPublicKey: { ...sessionJwk, d: 'x' } as typeof sessionJwk,
      }),
    ).rejects.toBeInstanceOf(TypeError);
    const weak = createBootstrapIssuer({ ...base, randomId: () => 'short' });
    await expect(weak.issue({ sessionId: SESSION_ID, sessionPublicKey: sessionJwk })).rejects.toBeInstanceOf(
      TypeError,
    );
  });
});

describe('createBootstrapVerifier', () => {
  it('accepts a token once: the jti is claimed in the replay guard', async () => {
    const verifier = makeVerifier();
    const token = forge(BOOTSTRAP_HEADER, claims(), rsa.privateKey, 'RS256');
    await expect(verifier.verify(token)).resolves.toMatchObject({ sessionId: SESSION_ID });
    await refused(token, 'replayed', verifier);
  });

  it('checks sub against the expected session id', async () => {
    const verifier = makeVerifier({ expectedSessionId: 'sess_other' });
    await refused(forge(BOOTSTRAP_HEADER, claims(), rsa.privateKey, 'RS256'), 'subject', verifier);
  });

  it('requires exp, iat, jti, sub, iss, aud and session_public_key', async () => {
    for (const name of ['exp', 'iat', 'jti', 'sub', 'iss', 'aud', 'session_public_key']) {
      await refused(
        forge(BOOTSTRAP_HEADER, without(claims(), name), rsa.privateKey, 'RS256'),
        'missing-claim',
      );
    }
  });

  it('caps the lifetime at 300 s and refuses a future iat', async () => {
    await refused(
      forge(BOOTSTRAP_HEADER, claims({ exp: NOW + 301 }), rsa.privateKey, 'RS256'),
      'lifetime-too-long',
    );
    await refused(
      forge(BOOTSTRAP_HEADER, claims({ iat: NOW + 6, exp: NOW + 60 }), rsa.privateKey, 'RS256'),
      'issued-in-future',
    );
    await refused(
      forge(BOOTSTRAP_HEADER, claims({ iat: NOW - 120, exp: NOW - 5 }), rsa.privateKey, 'RS256'),
      'expired',
    );
    await refused(
      forge(BOOTSTRAP_HEADER, claims({ nbf: NOW + 30 }), rsa.privateKey, 'RS256'),
      'not-yet-valid',
    );
  });

  it('checks issuer, audience and the signature', async () => {
    await refused(forge(BOOTSTRAP_HEADER, claims({ iss: 'x' }), rsa.privateKey, 'RS256'), 'issuer');
    await refused(forge(BOOTSTRAP_HEADER, claims({ aud: 'x' }), rsa.privateKey, 'RS256'), 'audience');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await refused(forge(BOOTSTRAP_HEADER, claims(), other.privateKey, 'RS256'), 'bad-signature');
  });

  it('refuses the exact-typ, crit, key-header, size, duplicate and canonical-encoding rules', async () => {
    await refused(forge({ alg: 'RS256', typ: 'JWT' }, claims(), rsa.privateKey, 'RS256'), 'wrong-type');
    await refused(forge({ alg: 'RS256' }, claims(), rsa.privateKey, 'RS256'), 'wrong-type');
    await refused(
      forge({ ...BOOTSTRAP_HEADER, crit: ['x'], x: 1 }, claims(), rsa.privateKey, 'RS256'),
      'crit',
    );
    await refused(
      forge({ ...BOOTSTRAP_HEADER, jku: 'https://evil.example' }, claims(), rsa.privateKey, 'RS256'),
      'forbidden-header',
    );
    await refused(
      forge({ ...BOOTSTRAP_HEADER, x5c: ['MII'] }, claims(), rsa.privateKey, 'RS256'),
      'forbidden-header',
    );
    await refused(
      forge(BOOTSTRAP_HEADER, claims({ pad: 'x'.repeat(8192) }), rsa.privateKey, 'RS256'),
      'too-large',
    );
    const duplicated = JSON.stringify(claims()).replace(/}$/, ',"sub":"sess_evil"}');
    await refused(forge(BOOTSTRAP_HEADER, duplicated, rsa.privateKey, 'RS256'), 'duplicate-member');
    await refused(`${forge(BOOTSTRAP_HEADER, claims(), rsa.privateKey, 'RS256')}=`, 'non-canonical');
  });

  it('never accepts a session token, and refuses HS256 and none', async () => {
    await refused(forge(SESSION_HEADER, claims(), ec.privateKey), 'alg-not-allowed');
    const esVerifier = makeVerifier({ publicKey: ec.publicKey, algorithms: ['ES256'] });
    await refused(
      forge({ alg: 'ES256', typ: 'latchkey-session+jwt' }, claims(), ec.privateKey),
      'wrong-type',
      esVerifier,
    );
    await refused(
      forge({ alg: 'HS256', typ: 'latchkey-bootstrap+jwt' }, claims(), rsa.privateKey, 'RS256'),
      'alg-not-allowed',
    );
    await refused(
      forge({ alg: 'none', typ: 'latchkey-bootstrap+jwt' }, claims(), rsa.privateKey, 'RS256'),
      'alg-not-allowed',
    );
  });

  it('refuses a session_public_key with private members, extra members, another curve or a point off the curve', async () => {
    const d = ec.privateKey.export({ format: 'jwk' }).d;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
    const y = Buffer.from(sessionJwk.y, 'base64url');
    y[31] = (y[31] ?? 0) ^ 1;
    for (const key of [
      { ...sessionJwk, d },
      { ...sessionJwk, kid: 'k1' },
      { ...sessionJwk, alg: 'ES256' },
      p384,
      { ...sessionJwk, y: y.toString('base64url') },
      { ...sessionJwk, kty: 'RSA' },
      'not a key',
    ]) {
      await refused(
        forge(BOOTSTRAP_HEADER, claims({ session_public_key: key }), rsa.privateKey, 'RS256'),
        'invalid-session-key',
      );
    }
  });

  it('never attaches the jose error (which carries the claims) as the cause', async () => {
    const error = await makeVerifier()
      .verify(
        forge(
          BOOTSTRAP_HEADER,
          claims({ iss: 'x' }),
          generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
          'RS256',
        ),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_BOOTSTRAP_TOKEN', reason: 'bad-signature' });
    expect((error as Error).cause).toBeUndefined();
    expect(JSON.stringify(error)).not.toContain(SESSION_ID);
  });

  it('fails closed when the replay guard cannot answer', async () => {
    const token = forge(BOOTSTRAP_HEADER, claims(), rsa.privateKey, 'RS256');
    await expect(
      makeVerifier({ replayGuard: { claim: () => Promise.reject(new Error('down')) } }).verify(token),
    ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503 });
    await expect(
      makeVerifier({ replayGuard: { claim: () => Promise.resolve('yes' as unknown as boolean) } }).verify(
        token,
      ),
    ).rejects.toMatchObject({ reason: 'replayed' });
  });

  it('claims the jti until exp plus the tolerance', async () => {
    const seen: number[] = [];
    const verifier = makeVerifier({
      replayGuard: {
        claim: async (_jti, until) => {
          seen.push(until);
          return true;
        },
      },
    });
    await verifier.verify(forge(BOOTSTRAP_HEADER, claims(), rsa.privateKey, 'RS256'));
    expect(seen).toEqual([(NOW + 60 + 5) * 1000]);
    expect(NOW_MS).toBeLessThan(seen[0] ?? 0);
  });

  it('rejects bad options with TypeError', () => {
    const base = { publicKey: rsa.publicKey, issuer: ISSUER, audience: AUDIENCE, replayGuard: guard() };
    expect(() => createBootstrapVerifier({ ...base, publicKey: rsa.privateKey })).toThrow(TypeError);
    expect(() => createBootstrapVerifier({ ...base, algorithms: ['ES256'] })).toThrow(TypeError);
    expect(() => createBootstrapVerifier({ ...base, algorithms: [] })).toThrow(TypeError);
    expect(() =>
      createBootstrapVerifier({ ...base, replayGuard: undefined as unknown as typeof base.replayGuard }),
    ).toThrow(TypeError);
    expect(() => createBootstrapVerifier({ ...base, expectedSessionId: 'a{b}' })).toThrow(TypeError);
    expect(() => createBootstrapVerifier({ ...base, clockToleranceSeconds: 61 })).toThrow(TypeError);
  });
});
