import { describe, expect, it } from 'vitest';
import {
  AUDIENCE,
  BOOTSTRAP_HEADER,
  ec,
  ec2,
  forge,
  ISSUER,
  NOW,
  NOW_MS,
  now,
  rsa,
  SESSION_HEADER,
  SESSION_ID,
  sessionClaims,
  without,
} from '../test/helpers.js';
import { createMemoryReplayGuard } from './replay-guard.js';
import {
  createSessionTokenSigner,
  createSessionTokenVerifier,
  type SessionTokenVerifier,
  type SessionTokenVerifierOptions,
} from './session-token.js';

const verifier = createSessionTokenVerifier({
  publicKey: ec.publicKey,
  issuer: ISSUER,
  audience: AUDIENCE,
  expectedSessionId: SESSION_ID,
  now,
});
/** A verifier for the fixture key, issuer and audience, with the options a test is about. */
const verifierWith = (options: Partial<SessionTokenVerifierOptions>): SessionTokenVerifier =>
  createSessionTokenVerifier({
    publicKey: ec.publicKey,
    issuer: ISSUER,
    audience: AUDIENCE,
    now,
    ...options,
  });
const signer = createSessionTokenSigner({
  privateKey: ec.privateKey,
  issuer: ISSUER,
  audience: AUDIENCE,
  sessionId: SESSION_ID,
  now,
});

async function refused(token: string, reason: string, v = verifier): Promise<void> {
  await expect(v.verify(token)).rejects.toMatchObject({ code: 'INVALID_SESSION_TOKEN', status: 401, reason });
}

describe('createSessionTokenSigner', () => {
  it('signs tokens the verifier accepts, with the session id, iat, exp and a 128-bit jti', async () => {
    const claims = await verifier.verify(await signer.sign());
    expect(claims).toMatchObject({
      sessionId: SESSION_ID,
      issuedAtSeconds: NOW,
      expiresAtSeconds: NOW + 300,
    });
    expect(Buffer.from(claims.tokenId ?? '', 'base64url')).toHaveLength(16);
  });

  it('signs synchronously too', async () => {
    expect((await verifier.verify(signer.signSync())).sessionId).toBe(SESSION_ID);
  });

  it('carries extra claims and refuses to let them override registered ones', async () => {
    const claims = await verifier.verify(await signer.sign({ role: 'editor', n: [1, 2] }));
    expect(claims.claims).toMatchObject({ role: 'editor', n: [1, 2] });
    expect(Object.isFrozen(claims.claims)).toBe(true);
    await expect(signer.sign({ sub: 'other' })).rejects.toBeInstanceOf(TypeError);
    expect(() => signer.signSync({ exp: 1 })).toThrow(TypeError);
  });

  it('omits jti when asked', async () => {
    const plain = createSessionTokenSigner({
      privateKey: ec.privateKey,
      issuer: ISSUER,
      audience: AUDIENCE,
      sessionId: SESSION_ID,
      now,
      withJti: false,
    });
    expect((await verifier.verify(await plain.sign())).tokenId).toBeUndefined();
  });

  it('rejects bad options with TypeError', () => {
    const base = { privateKey: ec.privateKey, issuer: ISSUER, audience: AUDIENCE, sessionId: SESSION_ID };
    expect(() => createSessionTokenSigner({ ...base, privateKey: rsa.privateKey })).toThrow(TypeError);
    expect(() => createSessionTokenSigner({ ...base, privateKey: ec.publicKey })).toThrow(TypeError);
    expect(() => createSessionTokenSigner({ ...base, ttlSeconds: 3601 })).toThrow(TypeError);
    expect(() => createSessionTokenSigner({ ...base, sessionId: 'a{b}' })).toThrow(TypeError);
    expect(() => createSessionTokenSigner({ ...base, issuer: '' })).toThrow(TypeError);
  });
});

describe('createSessionTokenVerifier', () => {
  it('accepts a hand-built valid token', async () => {
    await expect(
      verifier.verify(forge(SESSION_HEADER, sessionClaims(), ec.privateKey)),
    ).resolves.toMatchObject({ sessionId: SESSION_ID });
  });

  it('refuses a missing or empty token', async () => {
    await refused('', 'missing');
    await refused(undefined as unknown as string, 'missing');
  });

  it('refuses a token over 8 KiB before parsing it', async () => {
    await refused(
      forge(SESSION_HEADER, sessionClaims({ pad: 'x'.repeat(8192) }), ec.privateKey),
      'too-large',
    );
    await refused('x'.repeat(8193), 'too-large');
  });

  it('refuses anything that is not three segments', async () => {
    for (const token of ['a.b', 'a.b.c.d', '.b.c', 'a..c', 'a.b.', 'abc']) await refused(token, 'malformed');
  });

  it('refuses non-canonical base64url in any segment', async () => {
    const token = forge(SESSION_HEADER, sessionClaims(), ec.privateKey);
    const [h, p, s] = token.split('.') as [string, string, string];
    await refused(`${h}=.${p}.${s}`, 'non-canonical');
    await refused(`${h}.${p}.${s.replace(/^./, '+')}`, 'non-canonical');
    // The signature is 64 bytes: 86 characters, the last one carries 2 unused bits.
    const last = s.charCodeAt(s.length - 1);
    const sibling = String.fromCharCode(last + 1);
    await expect(verifier.verify(`${h}.${p}.${s.slice(0, -1)}${sibling}`)).rejects.toMatchObject({
      code: 'INVALID_SESSION_TOKEN',
    });
    await refused(`${h}.${p}.${s}B`, 'non-canonical');
    await refused(`${h}.${p}.${s}A`, 'bad-signature');
  });

  it('refuses duplicate member names in the header and in the claims', async () => {
    await refused(
      forge(
        '{"alg":"ES256","typ":"latchkey-session+jwt","typ":"latchkey-session+jwt"}',
        sessionClaims(),
        ec.privateKey,
      ),
      'duplicate-member',
    );
    const claims = JSON.stringify(sessionClaims()).replace(/}$/, ',"sub":"sess_other"}');
    await refused(forge(SESSION_HEADER, claims, ec.privateKey), 'duplicate-member');
    const escaped = JSON.stringify(sessionClaims()).replace(/}$/, ',"\\u0073ub":"sess_other"}');
    await refused(forge(SESSION_HEADER, escaped, ec.privateKey), 'duplicate-member');
  });

  it('refuses headers and claims that are not JSON objects or not UTF-8', async () => {
    await refused(forge('[1]', sessionClaims(), ec.privateKey), 'malformed');
    await refused(forge(SESSION_HEADER, '"text"', ec.privateKey), 'malformed');
    const token = forge(SESSION_HEADER, sessionClaims(), ec.privateKey).split('.');
    await refused(`${token[0]}.${Buffer.from([0xff, 0xfe]).toString('base64url')}.${token[2]}`, 'malformed');
  });

  it('refuses any algorithm but ES256, including none and HS256', async () => {
    await refused(
      forge({ ...SESSION_HEADER, alg: 'RS256' }, sessionClaims(), rsa.privateKey, 'RS256'),
      'alg-not-allowed',
    );
    const unsigned = forge({ ...SESSION_HEADER, alg: 'none' }, sessionClaims(), ec.privateKey).split('.');
    await refused(`${unsigned[0]}.${unsigned[1]}.${unsigned[2]}`, 'alg-not-allowed');
    await refused(forge({ typ: SESSION_HEADER.typ }, sessionClaims(), ec.privateKey), 'malformed');
  });

  it('refuses a wrong, missing or differently spelled typ', async () => {
    await refused(forge({ alg: 'ES256' }, sessionClaims(), ec.privateKey), 'wrong-type');
    await refused(forge({ alg: 'ES256', typ: 'JWT' }, sessionClaims(), ec.privateKey), 'wrong-type');
    await refused(
      forge({ alg: 'ES256', typ: 'LATCHKEY-SESSION+JWT' }, sessionClaims(), ec.privateKey),
      'wrong-type',
    );
    await refused(
      forge({ alg: 'ES256', typ: 'latchkey-bootstrap+jwt' }, sessionClaims(), ec.privateKey),
      'wrong-type',
    );
  });

  it('refuses a bootstrap token', async () => {
    await refused(forge(BOOTSTRAP_HEADER, sessionClaims(), rsa.privateKey, 'RS256'), 'alg-not-allowed');
  });

  it('refuses crit and b64', async () => {
    await refused(forge({ ...SESSION_HEADER, crit: ['exp'] }, sessionClaims(), ec.privateKey), 'crit');
    await refused(
      forge({ ...SESSION_HEADER, b64: true, crit: ['b64'] }, sessionClaims(), ec.privateKey),
      'crit',
    );
  });

  it('never takes a key from the token: jku, x5u, x5c and jwk headers are refused', async () => {
    const jwk = ec2.publicKey.export({ format: 'jwk' });
    for (const extra of [
      { jku: 'https://evil.example/jwks' },
      { x5u: 'https://evil.example/c' },
      { x5c: ['MIIB'] },
      { jwk },
    ]) {
      await refused(
        forge({ ...SESSION_HEADER, ...extra }, sessionClaims(), ec2.privateKey),
        'forbidden-header',
      );
    }
  });

  it('refuses a signature by another key, a wrong-length signature and a zero signature', async () => {
    await refused(forge(SESSION_HEADER, sessionClaims(), ec2.privateKey), 'bad-signature');
    const [h, p] = forge(SESSION_HEADER, sessionClaims(), ec.privateKey).split('.');
    await refused(`${h}.${p}.${Buffer.alloc(63, 1).toString('base64url')}`, 'bad-signature');
    await refused(`${h}.${p}.${Buffer.alloc(64).toString('base64url')}`, 'bad-signature');
  });

  it('requires iss, aud, sub, iat and exp', async () => {
    for (const name of ['iss', 'aud', 'sub', 'iat', 'exp']) {
      await refused(forge(SESSION_HEADER, without(sessionClaims(), name), ec.privateKey), 'missing-claim');
    }
  });

  it('checks issuer, audience and subject', async () => {
    await refused(forge(SESSION_HEADER, sessionClaims({ iss: 'other' }), ec.privateKey), 'issuer');
    await refused(forge(SESSION_HEADER, sessionClaims({ aud: 'other' }), ec.privateKey), 'audience');
    await refused(forge(SESSION_HEADER, sessionClaims({ aud: ['other'] }), ec.privateKey), 'audience');
    await refused(forge(SESSION_HEADER, sessionClaims({ sub: 'sess_other' }), ec.privateKey), 'subject');
    await refused(forge(SESSION_HEADER, sessionClaims({ sub: 'a b' }), ec.privateKey), 'invalid-claim');
    await expect(
      verifier.verify(forge(SESSION_HEADER, sessionClaims({ aud: ['x', AUDIENCE] }), ec.privateKey)),
    ).resolves.toBeDefined();
  });

  it('refuses non-numeric times and a bad jti', async () => {
    await refused(
      forge(SESSION_HEADER, sessionClaims({ exp: String(NOW + 60) }), ec.privateKey),
      'invalid-claim',
    );
    await refused(forge(SESSION_HEADER, sessionClaims({ iat: null }), ec.privateKey), 'invalid-claim');
    await refused(forge(SESSION_HEADER, sessionClaims({ nbf: 'soon' }), ec.privateKey), 'invalid-claim');
    await refused(forge(SESSION_HEADER, sessionClaims({ jti: 42 }), ec.privateKey), 'invalid-claim');
    await refused(
      forge(SESSION_HEADER, sessionClaims({ jti: 'j'.repeat(257) }), ec.privateKey),
      'invalid-claim',
    );
    await refused(
      forge(SESSION_HEADER, sessionClaims({ exp: NOW + 2, iat: NOW + 4 }), ec.privateKey),
      'invalid-claim',
    );
  });

  it('applies the clock tolerance (default 5 s) to exp, iat and nbf', async () => {
    await refused(
      forge(SESSION_HEADER, sessionClaims({ iat: NOW - 60, exp: NOW - 5 }), ec.privateKey),
      'expired',
    );
    await expect(
      verifier.verify(forge(SESSION_HEADER, sessionClaims({ iat: NOW - 60, exp: NOW - 4 }), ec.privateKey)),
    ).resolves.toBeDefined();
    await refused(
      forge(SESSION_HEADER, sessionClaims({ iat: NOW + 6, exp: NOW + 60 }), ec.privateKey),
      'issued-in-future',
    );
    await expect(
      verifier.verify(forge(SESSION_HEADER, sessionClaims({ iat: NOW + 5 }), ec.privateKey)),
    ).resolves.toBeDefined();
    await refused(forge(SESSION_HEADER, sessionClaims({ nbf: NOW + 6 }), ec.privateKey), 'not-yet-valid');
  });

  it('caps the lifetime at 3600 s', async () => {
    await refused(
      forge(SESSION_HEADER, sessionClaims({ exp: NOW + 3601 }), ec.privateKey),
      'lifetime-too-long',
    );
    await expect(
      verifier.verify(forge(SESSION_HEADER, sessionClaims({ exp: NOW + 3600 }), ec.privateKey)),
    ).resolves.toBeDefined();
  });

  it('with a replay guard, requires a jti and accepts it once', async () => {
    const guarded = verifierWith({ replayGuard: createMemoryReplayGuard({ max: 10, now }) });
    await refused(
      forge(SESSION_HEADER, without(sessionClaims(), 'jti'), ec.privateKey),
      'missing-claim',
      guarded,
    );
    const token = await signer.sign();
    await expect(guarded.verify(token)).resolves.toBeDefined();
    await refused(token, 'replayed', guarded);
  });

  it('keys replay on the jti, so a re-encoded signature (s → n − s) is still a replay', async () => {
    const guarded = verifierWith({ replayGuard: createMemoryReplayGuard({ max: 10, now }) });
    const token = await signer.sign();
    const [h, p, s] = token.split('.') as [string, string, string];
    const signature = Buffer.from(s, 'base64url');
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    const negated = n - BigInt(`0x${signature.subarray(32).toString('hex')}`);
    const malleated = Buffer.concat([
      signature.subarray(0, 32),
      Buffer.from(negated.toString(16).padStart(64, '0'), 'hex'),
    ]);
    const twin = `${h}.${p}.${malleated.toString('base64url')}`;
    await expect(verifier.verify(twin)).resolves.toBeDefined();
    await expect(guarded.verify(token)).resolves.toBeDefined();
    await refused(twin, 'replayed', guarded);
  });

  it('passes a replay guard failure through, never accepting', async () => {
    const guarded = verifierWith({ replayGuard: { claim: () => Promise.reject(new Error('boom')) } });
    await expect(guarded.verify(await signer.sign())).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      status: 503,
    });
    const full = verifierWith({ replayGuard: createMemoryReplayGuard({ max: 1, now }) });
    await full.verify(await signer.sign());
    await expect(full.verify(await signer.sign())).rejects.toMatchObject({
      code: 'CAPACITY_EXHAUSTED',
      reason: 'replay-guard-full',
      status: 503,
    });
  });

  it('serves repeated tokens from its cache until exp, and only the exact token', async () => {
    let clock = NOW_MS;
    const cached = verifierWith({ now: () => clock, cache: { max: 4 }, clockToleranceSeconds: 0 });
    const token = forge(SESSION_HEADER, sessionClaims({ exp: NOW + 10 }), ec.privateKey);
    const first = await cached.verify(token);
    expect(await cached.verify(token)).toBe(first);
    await refused(`${token.slice(0, -1)}${token.endsWith('A') ? 'Q' : 'A'}`, 'bad-signature', cached);
    clock = (NOW + 10) * 1000;
    await refused(token, 'expired', cached);
  });

  it('runs the replay guard on cache hits', async () => {
    const cached = verifierWith({
      cache: { max: 4 },
      replayGuard: createMemoryReplayGuard({ max: 10, now }),
    });
    const token = await signer.sign();
    await cached.verify(token);
    await refused(token, 'replayed', cached);
  });

  it('rejects bad options with TypeError', () => {
    const base = { publicKey: ec.publicKey, issuer: ISSUER, audience: AUDIENCE };
    expect(() => createSessionTokenVerifier({ ...base, publicKey: ec.privateKey })).toThrow(TypeError);
    expect(() => createSessionTokenVerifier({ ...base, publicKey: rsa.publicKey })).toThrow(TypeError);
    expect(() => createSessionTokenVerifier({ ...base, clockToleranceSeconds: -1 })).toThrow(TypeError);
    expect(() => createSessionTokenVerifier({ ...base, cache: { max: 0 } })).toThrow(TypeError);
    expect(() => createSessionTokenVerifier({ ...base, audience: '' })).toThrow(TypeError);
  });
});
