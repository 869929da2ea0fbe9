import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UnauthenticatedError } from '@latchkey/errors';
import { describe, expect, it } from 'vitest';
import {
  ACCESS_HEADER,
  AUDIENCE,
  accessClaims,
  ec,
  ec2,
  forge,
  ISSUER,
  NOW,
  NOW_MS,
  now,
  rsa,
  SESSION_HEADER,
  sessionClaims,
  USER_ID,
  without,
} from '../test/helpers.js';
import {
  createAccessTokenIssuer,
  createAccessTokenRefresher,
  createAccessTokenVerifier,
  DEFAULT_ACCESS_TTL_SECONDS,
  MAX_ACCESS_TTL_SECONDS,
} from './access-token.js';
import { createBootstrapIssuer } from './bootstrap-token.js';
import { ACCESS_TYP, MAX_TOKEN_LENGTH } from './compact.js';
import { createSessionTokenSigner, createSessionTokenVerifier } from './session-token.js';

type Role = 'viewer' | 'editor';
const issuerOf = (extra: Partial<Parameters<typeof createAccessTokenIssuer>[0]> = {}) =>
  createAccessTokenIssuer<{ role: Role }>({
    privateKey: ec.privateKey,
    issuer: ISSUER,
    audience: AUDIENCE,
    now: () => NOW_MS + 123,
    ...extra,
  });
const verifierOf = (extra: Partial<Parameters<typeof createAccessTokenVerifier<{ role: Role }>>[0]> = {}) =>
  createAccessTokenVerifier<{ role: Role }>({
    publicKey: ec.publicKey,
    issuer: ISSUER,
    audience: AUDIENCE,
    now,
    ...extra,
  });
const ringOf = (keys: NonNullable<Parameters<typeof createAccessTokenVerifier>[0]['keys']>) =>
  createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, now });

const decode = (segment: string): unknown => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));

async function refusedWith(
  token: string,
  reason: string,
  verifier: { verify(t: string): Promise<unknown>; verifySync(t: string): unknown } = verifierOf(),
): Promise<void> {
  const expected = { code: 'UNAUTHENTICATED', status: 401, reason };
  await expect(verifier.verify(token)).rejects.toMatchObject(expected);
  await expect(verifier.verify(token)).rejects.toBeInstanceOf(UnauthenticatedError);
  expect(() => verifier.verifySync(token)).toThrow(expect.objectContaining(expected));
}

describe('createAccessTokenIssuer', () => {
  it('issues the header and claims of DESIGN: ES256, exact typ, iat_ms, exp = iat + 3600, 128-bit jti', async () => {
    const { token, claims } = await issuerOf().issue(USER_ID, { role: 'editor' });
    const [header, payload] = token.split('.') as [string, string];
    expect(decode(header)).toEqual({ alg: 'ES256', typ: ACCESS_TYP });
    const set = decode(payload) as Record<string, unknown>;
    expect(set).toEqual({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: USER_ID,
      iat: NOW,
      iat_ms: NOW_MS + 123,
      exp: NOW + DEFAULT_ACCESS_TTL_SECONDS,
      jti: claims.tokenId,
      role: 'editor',
    });
    expect(Buffer.from(claims.tokenId, 'base64url')).toHaveLength(16);
    expect(claims).toMatchObject({
      userId: USER_ID,
      issuedAtSeconds: NOW,
      issuedAtMs: NOW_MS + 123,
      expiresAtSeconds: NOW + 3600,
      custom: { role: 'editor' },
    });
    expect(claims.claims).toEqual(set);
    expect(Object.isFrozen(claims.custom)).toBe(true);
  });

  it('gives the same claims from issueSync, and a fresh jti per token', () => {
    const issuer = issuerOf();
    const a = issuer.issueSync(USER_ID, { role: 'viewer' });
    const b = issuer.issueSync(USER_ID, { role: 'viewer' });
    expect(a.claims.tokenId).not.toBe(b.claims.tokenId);
    expect(verifierOf().verifySync(a.token)).toEqual(a.claims);
  });

  it('puts the configured kid in the header', async () => {
    const { token } = await issuerOf({ kid: 'k1' }).issue(USER_ID, { role: 'viewer' });
    expect(decode(token.split('.')[0] as string)).toEqual({ alg: 'ES256', typ: ACCESS_TYP, kid: 'k1' });
  });

  it('takes a lifetime up to 86,400 s and refuses longer ones with TypeError', () => {
    expect(issuerOf({ ttlSeconds: MAX_ACCESS_TTL_SECONDS }).ttlSeconds).toBe(86_400);
    expect(() => issuerOf({ ttlSeconds: MAX_ACCESS_TTL_SECONDS + 1 })).toThrow(TypeError);
    expect(() => issuerOf({ ttlSeconds: 0 })).toThrow(TypeError);
  });

  it('refuses custom claims that would set a registered claim', () => {
    const issuer = createAccessTokenIssuer({ privateKey: ec.privateKey, issuer: ISSUER, audience: AUDIENCE });
    for (const name of ['iss', 'aud', 'sub', 'iat', 'iat_ms', 'exp', 'nbf', 'jti']) {
      expect(() => issuer.issueSync(USER_ID, { [name]: 1 } as never)).toThrow(TypeError);
    }
    expect(() => issuer.issueSync(USER_ID, [] as never)).toThrow(TypeError);
  });

  it('refuses a user id that is empty, over 256 characters or holds a control character', async () => {
    const issuer = issuerOf();
    for (const userId of ['', 'x'.repeat(257), 'a\nb', 'a\u0000b', 'a\u007fb']) {
      expect(() => issuer.issueSync(userId, { role: 'viewer' })).toThrow(TypeError);
      await expect(issuer.issue(userId, { role: 'viewer' })).rejects.toBeInstanceOf(TypeError);
    }
  });

  it('refuses keys that are not P-256 private keys and a randomId under 128 bits', () => {
    expect(() => issuerOf({ privateKey: ec.publicKey })).toThrow(TypeError);
    expect(() => issuerOf({ privateKey: rsa.privateKey })).toThrow(TypeError);
    expect(() => issuerOf({ randomId: () => 'short' }).issueSync(USER_ID, { role: 'viewer' })).toThrow(
      TypeError,
    );
  });
});

describe('createAccessTokenVerifier', () => {
  it('verifies in both forms and returns the claims with units in their names', async () => {
    const { token, claims } = issuerOf().issueSync(USER_ID, { role: 'editor' });
    const verified = await verifierOf().verify(token);
    expect(verified).toEqual(claims);
    expect(verifierOf().verifySync(token)).toEqual(claims);
    expect(Object.isFrozen(verified.claims)).toBe(true);
  });

  it('types and checks custom claims through validateCustom; a throw refuses the token', async () => {
    const verifier = createAccessTokenVerifier<{ role: Role }>({
      publicKey: ec.publicKey,
      issuer: ISSUER,
      audience: AUDIENCE,
      now,
      validateCustom: (custom) => {
        if (custom.role !== 'viewer' && custom.role !== 'editor') throw new Error('role');
        return { role: custom.role };
      },
    });
    const editor = forge(ACCESS_HEADER, accessClaims({ role: 'editor', extra: 1 }), ec.privateKey);
    expect((await verifier.verify(editor)).custom).toEqual({ role: 'editor' });
    await refusedWith(
      forge(ACCESS_HEADER, accessClaims({ role: 'root' }), ec.privateKey),
      'invalid-claim',
      verifier,
    );
  });

  it('never runs validateCustom for a token whose signature fails', async () => {
    let calls = 0;
    const verifier = verifierOf({ validateCustom: () => ({ role: calls++ === 0 ? 'viewer' : 'editor' }) });
    await refusedWith(forge(ACCESS_HEADER, accessClaims(), ec2.privateKey), 'bad-signature', verifier);
    expect(calls).toBe(0);
  });

  it('enforces iat_ms: required, an integer, floor(iat_ms / 1000) = iat', async () => {
    await refusedWith(
      forge(ACCESS_HEADER, without(accessClaims(), 'iat_ms'), ec.privateKey),
      'missing-claim',
    );
    for (const iat_ms of [NOW_MS + 1000, NOW_MS - 1, NOW_MS + 0.5, `${NOW_MS}`, null]) {
      await refusedWith(forge(ACCESS_HEADER, accessClaims({ iat_ms }), ec.privateKey), 'invalid-claim');
    }
    await expect(
      verifierOf().verify(forge(ACCESS_HEADER, accessClaims({ iat_ms: NOW_MS + 999 }), ec.privateKey)),
    ).resolves.toMatchObject({ issuedAtMs: NOW_MS + 999 });
  });

  it('refuses lifetimes over 86,400 s, expired tokens and an iat in the future', async () => {
    await refusedWith(
      forge(ACCESS_HEADER, accessClaims({ exp: NOW + MAX_ACCESS_TTL_SECONDS + 1 }), ec.privateKey),
      'lifetime-too-long',
    );
    await expect(
      verifierOf().verify(
        forge(ACCESS_HEADER, accessClaims({ exp: NOW + MAX_ACCESS_TTL_SECONDS }), ec.privateKey),
      ),
    ).resolves.toMatchObject({ expiresAtSeconds: NOW + 86_400 });
    await refusedWith(
      forge(
        ACCESS_HEADER,
        accessClaims({ iat: NOW - 4000, iat_ms: (NOW - 4000) * 1000, exp: NOW - 5 }),
        ec.privateKey,
      ),
      'expired',
    );
    await refusedWith(
      forge(ACCESS_HEADER, accessClaims({ iat: NOW + 6, iat_ms: (NOW + 6) * 1000 }), ec.privateKey),
      'issued-in-future',
    );
  });

  it('requires iss, aud, sub, iat, exp and jti, and a user id as sub', async () => {
    for (const name of ['iss', 'aud', 'sub', 'iat', 'exp', 'jti']) {
      await refusedWith(forge(ACCESS_HEADER, without(accessClaims(), name), ec.privateKey), 'missing-claim');
    }
    await refusedWith(forge(ACCESS_HEADER, accessClaims({ iss: 'other' }), ec.privateKey), 'issuer');
    await refusedWith(forge(ACCESS_HEADER, accessClaims({ aud: ['other'] }), ec.privateKey), 'audience');
    for (const sub of ['', 'x'.repeat(257), 'a\tb', 7]) {
      await refusedWith(forge(ACCESS_HEADER, accessClaims({ sub }), ec.privateKey), 'invalid-claim');
    }
  });

  it('refuses a padded or non-canonical segment: "==" after the signature, "=" after any part', async () => {
    const { token } = issuerOf().issueSync(USER_ID, { role: 'viewer' });
    await refusedWith(`${token}==`, 'non-canonical');
    const parts = token.split('.');
    for (const index of [0, 1]) {
      const padded = [...parts];
      padded[index] = `${padded[index]}=`;
      await refusedWith(padded.join('.'), 'non-canonical');
    }
    const signature = parts[2] as string;
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    await refusedWith(`${parts[0]}.${parts[1]}.${flipped}`, 'bad-signature');
  });

  it('refuses duplicate members in header and claims, also through \\u escapes', async () => {
    const claims = JSON.stringify(accessClaims());
    await refusedWith(
      forge(ACCESS_HEADER, claims.replace(/^\{/, '{"sub":"mallory",'), ec.privateKey),
      'duplicate-member',
    );
    await refusedWith(
      forge(ACCESS_HEADER, claims.replace(/^\{/, '{"\\u0073ub":"mallory",'), ec.privateKey),
      'duplicate-member',
    );
    await refusedWith(
      forge(
        '{"alg":"ES256","typ":"latchkey-access+jwt","typ":"latchkey-access+jwt"}',
        accessClaims(),
        ec.privateKey,
      ),
      'duplicate-member',
    );
  });

  it('refuses header members other than alg, typ and kid, and any other alg', async () => {
    for (const extra of [
      { jku: 'https://x' },
      { jwk: {} },
      { x5u: 'https://x' },
      { zip: 'DEF' },
      { cty: 'JWT' },
    ]) {
      await refusedWith(
        forge({ ...ACCESS_HEADER, ...extra }, accessClaims(), ec.privateKey),
        'forbidden-header',
      );
    }
    await refusedWith(forge({ ...ACCESS_HEADER, crit: ['exp'] }, accessClaims(), ec.privateKey), 'crit');
    await refusedWith(
      forge({ ...ACCESS_HEADER, alg: 'RS256' }, accessClaims(), rsa.privateKey, 'RS256'),
      'alg-not-allowed',
    );
    await refusedWith(
      forge({ ...ACCESS_HEADER, alg: 'none' }, accessClaims(), ec.privateKey),
      'alg-not-allowed',
    );
  });

  it('lets kid pick only among the configured keys', async () => {
    const verifier = ringOf({ a: ec.publicKey, b: ec2.publicKey });
    const byA = issuerOf({ kid: 'a' }).issueSync(USER_ID, { role: 'viewer' });
    const byB = issuerOf({ kid: 'b', privateKey: ec2.privateKey }).issueSync(USER_ID, { role: 'viewer' });
    expect(verifier.verifySync(byA.token).userId).toBe(USER_ID);
    expect((await verifier.verify(byB.token)).userId).toBe(USER_ID);
    // Signed by b, labelled a; an unknown kid; no kid at all.
    await refusedWith(
      forge({ ...ACCESS_HEADER, kid: 'a' }, accessClaims(), ec2.privateKey),
      'bad-signature',
      verifier,
    );
    await refusedWith(
      issuerOf({ kid: 'c' }).issueSync(USER_ID, { role: 'viewer' }).token,
      'bad-signature',
      verifier,
    );
    await refusedWith(issuerOf().issueSync(USER_ID, { role: 'viewer' }).token, 'bad-signature', verifier);
    const asMap = ringOf(new Map([['a', ec.publicKey]]));
    expect(asMap.verifySync(byA.token).userId).toBe(USER_ID);
  });

  it('never accepts a session or bootstrap token, and its own tokens are never session tokens', async () => {
    await refusedWith(forge(SESSION_HEADER, accessClaims(), ec.privateKey), 'wrong-type');
    await refusedWith(
      forge({ ...ACCESS_HEADER, typ: 'LATCHKEY-ACCESS+JWT' }, accessClaims(), ec.privateKey),
      'wrong-type',
    );
    await refusedWith(
      forge({ ...ACCESS_HEADER, typ: 'application/latchkey-access+jwt' }, accessClaims(), ec.privateKey),
      'wrong-type',
    );
    const session = await createSessionTokenSigner({
      privateKey: ec.privateKey,
      issuer: ISSUER,
      audience: AUDIENCE,
      sessionId: 'sess_1',
      now,
    }).sign();
    await refusedWith(session, 'wrong-type');
    const bootstrap = await createBootstrapIssuer({
      privateKey: ec.privateKey,
      algorithm: 'ES256',
      issuer: ISSUER,
      audience: AUDIENCE,
      now,
    }).issue({
      sessionId: 'sess_1',
      sessionPublicKey: ec2.publicKey,
    });
    await refusedWith(bootstrap, 'wrong-type');
    const access = issuerOf().issueSync('sess_1', { role: 'viewer' }).token;
    const sessionVerifier = createSessionTokenVerifier({
      publicKey: ec.publicKey,
      issuer: ISSUER,
      audience: AUDIENCE,
      now,
    });
    await expect(sessionVerifier.verify(access)).rejects.toMatchObject({
      code: 'INVALID_SESSION_TOKEN',
      reason: 'wrong-type',
    });
    expect(() =>
      sessionVerifier.verifySync(forge(SESSION_HEADER, sessionClaims(), ec.privateKey)),
    ).not.toThrow();
  });

  it('refuses the RFC 7515 A.3 ES256 example: authentic, but not an access token', async () => {
    const vectors = new URL('../../../test-vectors/jose-cookbook/rfc7515/', import.meta.url);
    const token = readFileSync(new URL('rfc7515_A.3.jwsc', vectors), 'utf8').trim();
    const { d: _d, ...jwk } = JSON.parse(readFileSync(new URL('rfc7515_A.3.jwk', vectors), 'utf8')) as Record<
      string,
      string
    >;
    const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
    const verifier = createAccessTokenVerifier({
      publicKey,
      issuer: 'joe',
      audience: 'x',
      now: () => 1_300_000_000_000,
    });
    await refusedWith(token, 'wrong-type', verifier);
  });

  it('refuses a token over 8 KiB before parsing, and a missing token', async () => {
    await refusedWith(`${'a'.repeat(MAX_TOKEN_LENGTH)}.b.c`, 'too-large');
    await refusedWith('', 'missing');
    await refusedWith('a.b', 'malformed');
  });

  it('throws TypeError for bad options', () => {
    const base = { issuer: ISSUER, audience: AUDIENCE };
    expect(() => createAccessTokenVerifier(base)).toThrow(TypeError);
    expect(() =>
      createAccessTokenVerifier({ ...base, publicKey: ec.publicKey, keys: { a: ec.publicKey } }),
    ).toThrow(TypeError);
    expect(() => createAccessTokenVerifier({ ...base, publicKey: ec.privateKey })).toThrow(TypeError);
    expect(() =>
      createAccessTokenVerifier({
        ...base,
        publicKey: generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
      }),
    ).toThrow(TypeError);
    expect(() => createAccessTokenVerifier({ ...base, keys: {} })).toThrow(TypeError);
    expect(() => createAccessTokenVerifier({ ...base, keys: { a: rsa.publicKey } })).toThrow(TypeError);
    expect(() =>
      createAccessTokenVerifier({ ...base, publicKey: ec.publicKey, clockToleranceSeconds: 61 }),
    ).toThrow(TypeError);
  });
});

describe('createAccessTokenRefresher', () => {
  it('issues a new token for the same user and custom claims within the window, nothing before it', () => {
    let clock = NOW_MS;
    const issuer = issuerOf({ now: () => clock, ttlSeconds: 3600 });
    const refresher = createAccessTokenRefresher({ issuer, refreshWithinSeconds: 600, now: () => clock });
    const first = issuer.issueSync(USER_ID, { role: 'editor' });
    const verified = verifierOf({ now: () => clock }).verifySync(first.token);
    expect(refresher.refresh(verified)).toBeUndefined();
    clock = NOW_MS + (3600 - 601) * 1000;
    expect(refresher.refresh(verified)).toBeUndefined();
    clock = NOW_MS + (3600 - 600) * 1000;
    const fresh = refresher.refresh(verified);
    expect(fresh?.claims).toMatchObject({
      userId: USER_ID,
      custom: { role: 'editor' },
      expiresAtSeconds: NOW + 3000 + 3600,
    });
    expect(fresh?.claims.tokenId).not.toBe(first.claims.tokenId);
    expect(verifierOf({ now: () => clock }).verifySync(fresh?.token ?? '').issuedAtMs).toBe(clock);
  });

  it('refuses a window that is not shorter than the lifetime', () => {
    const issuer = issuerOf({ ttlSeconds: 600 });
    expect(() => createAccessTokenRefresher({ issuer, refreshWithinSeconds: 600 })).toThrow(TypeError);
    expect(() => createAccessTokenRefresher({ issuer, refreshWithinSeconds: 0 })).toThrow(TypeError);
    expect(createAccessTokenRefresher({ issuer, refreshWithinSeconds: 599 })).toBeDefined();
  });
});
