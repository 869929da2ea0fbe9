import { fc, test } from '@fast-check/vitest';
import { jwtVerify } from 'jose';
import { describe, expect } from 'vitest';
import { ACCESS_HEADER, AUDIENCE, ec, ec2, forge, ISSUER, NOW, NOW_MS, now, rsa } from '../test/helpers.js';
import {
  createAccessTokenIssuer,
  createAccessTokenVerifier,
  MAX_ACCESS_TTL_SECONDS,
} from './access-token.js';
import { hasControlCharacter } from './claims.js';

const REGISTERED = ['iss', 'aud', 'sub', 'iat', 'iat_ms', 'exp', 'nbf', 'jti'];
const customClaims = fc.dictionary(
  fc
    .string({ minLength: 1, maxLength: 12 })
    .filter((name) => !REGISTERED.includes(name) && name !== '__proto__'),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 4 },
);
// 1–256 characters of any kind but controls (C0, DEL, C1).
const userId = fc
  .string({ minLength: 1, maxLength: 256, unit: 'binary' })
  .filter((id) => !hasControlCharacter(id) && [...id].length <= 256);
const accepted = (promise: Promise<unknown>): Promise<boolean> =>
  promise.then(
    () => true,
    () => false,
  );

describe('access tokens', () => {
  test.prop([
    userId,
    customClaims,
    fc.integer({ min: 1, max: MAX_ACCESS_TTL_SECONDS }),
    fc.integer({ min: 0, max: 10 ** 13 }),
    fc.boolean(),
  ])(
    'issue → verify round-trips any user id, custom claims, lifetime and clock, in both forms',
    async (id, custom, ttlSeconds, clockMs, sync) => {
      const clock = (): number => clockMs;
      const issuer = createAccessTokenIssuer({
        privateKey: ec.privateKey,
        issuer: ISSUER,
        audience: AUDIENCE,
        ttlSeconds,
        now: clock,
      });
      const verifier = createAccessTokenVerifier({
        publicKey: ec.publicKey,
        issuer: ISSUER,
        audience: AUDIENCE,
        now: clock,
      });
      const issued = sync ? issuer.issueSync(id, custom) : await issuer.issue(id, custom);
      const verified = sync ? verifier.verifySync(issued.token) : await verifier.verify(issued.token);
      expect(verified).toEqual(issued.claims);
      expect(verified.userId).toBe(id);
      expect(Math.floor(verified.issuedAtMs / 1000)).toBe(verified.issuedAtSeconds);
      expect(verified.expiresAtSeconds - verified.issuedAtSeconds).toBe(ttlSeconds);
      expect(verified.custom).toEqual(JSON.parse(JSON.stringify(custom)));
    },
  );

  const issuer = createAccessTokenIssuer({
    privateKey: ec.privateKey,
    issuer: ISSUER,
    audience: AUDIENCE,
    now,
  });
  const verifier = createAccessTokenVerifier({
    publicKey: ec.publicKey,
    issuer: ISSUER,
    audience: AUDIENCE,
    now,
  });

  test.prop([userId, customClaims, fc.nat(), fc.constantFrom(...'AQgwBRhx09-_.=+/ \u00e9')])(
    'any single-character change to a token is refused, in both forms',
    async (id, custom, at, replacement) => {
      const { token } = issuer.issueSync(id, custom);
      const index = at % token.length;
      fc.pre(token[index] !== replacement);
      const changed = token.slice(0, index) + replacement + token.slice(index + 1);
      await expect(verifier.verify(changed)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
      expect(() => verifier.verifySync(changed)).toThrow(
        expect.objectContaining({ code: 'UNAUTHENTICATED' }),
      );
    },
  );
});

// --- differential test against jose's jwtVerify ---------------------------------------------------

const TOLERANCE = 5;
const joseOptions = {
  algorithms: ['ES256'],
  typ: 'latchkey-access+jwt',
  issuer: ISSUER,
  audience: AUDIENCE,
  clockTolerance: TOLERANCE,
  currentDate: new Date(NOW_MS),
  requiredClaims: ['iat', 'exp', 'sub', 'jti'],
};
const differential = createAccessTokenVerifier({
  publicKey: ec.publicKey,
  issuer: ISSUER,
  audience: AUDIENCE,
  now,
  clockToleranceSeconds: TOLERANCE,
});

// Tokens inside every rule: jose and this package must both accept them.
const validToken = fc
  .record({
    lifetime: fc.integer({ min: 0, max: MAX_ACCESS_TTL_SECONDS }),
    age: fc.integer({ min: -TOLERANCE, max: 90_000 }),
    millis: fc.integer({ min: 0, max: 999 }),
    aud: fc.oneof(
      fc.constant<unknown>(AUDIENCE),
      fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }).map((rest) => [...rest, AUDIENCE]),
    ),
    sub: userId,
    jti: fc.string({ minLength: 1, maxLength: 40 }),
    nbfOffset: fc.option(fc.integer({ min: -90_000, max: TOLERANCE }), { nil: undefined }),
    custom: customClaims,
    kid: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
  })
  .filter(({ lifetime, age }) => NOW - age + lifetime > NOW - TOLERANCE)
  .map(({ lifetime, age, millis, aud, sub, jti, nbfOffset, custom, kid }) => {
    const iat = NOW - age;
    const claims = {
      ...custom,
      iss: ISSUER,
      aud,
      sub,
      iat,
      iat_ms: iat * 1000 + millis,
      exp: iat + lifetime,
      jti,
      nbf: nbfOffset === undefined ? undefined : NOW + nbfOffset,
    };
    return { header: { ...ACCESS_HEADER, kid }, claims };
  });

type Spec = { header: Record<string, unknown>; claims: Record<string, unknown> };
const mutations: Array<fc.Arbitrary<(spec: Spec) => string>> = [
  fc
    .constantFrom('iss', 'aud', 'sub', 'iat', 'iat_ms', 'exp', 'jti')
    .map((name) => (s: Spec) => forge(s.header, { ...s.claims, [name]: undefined }, ec.privateKey)),
  fc
    .constantFrom<unknown>('other', ['other'], 7, null, 'LATCHKEY-ROUTER', '', 1.5)
    .chain((value) =>
      fc
        .constantFrom('iss', 'aud', 'sub', 'jti', 'iat_ms')
        .map((name) => (s: Spec) => forge(s.header, { ...s.claims, [name]: value }, ec.privateKey)),
    ),
  fc
    .integer({ min: -200_000, max: 200_000 })
    .chain((offset) =>
      fc
        .constantFrom('iat', 'exp', 'nbf', 'iat_ms')
        .map((name) => (s: Spec) => forge(s.header, { ...s.claims, [name]: NOW + offset }, ec.privateKey)),
    ),
  fc
    .constantFrom<unknown>(
      'JWT',
      'LATCHKEY-ACCESS+JWT',
      'application/latchkey-access+jwt',
      'latchkey-session+jwt',
      undefined,
      3,
    )
    .map((typ) => (s: Spec) => forge({ ...s.header, typ }, s.claims, ec.privateKey)),
  fc
    .constantFrom<Record<string, unknown>>(
      { crit: ['exp'] },
      { crit: ['b64'], b64: true },
      { jku: 'https://x' },
      { zip: 'DEF' },
      { alg: 'ES384' },
      { alg: 'none' },
    )
    .map((extra) => (s: Spec) => forge({ ...s.header, ...extra }, s.claims, ec.privateKey)),
  fc.constant((s: Spec) => forge({ ...s.header, alg: 'RS256' }, s.claims, rsa.privateKey, 'RS256')),
  fc.constant((s: Spec) => forge(s.header, s.claims, ec2.privateKey)),
  fc.constant((s: Spec) =>
    forge(s.header, JSON.stringify(s.claims).replace(/}$/, ',"sub":"mallory"}'), ec.privateKey),
  ),
  fc.tuple(fc.nat(), fc.constantFrom(...'AQgwBRhx-_.=+/')).map(([at, char]) => (s: Spec) => {
    const token = forge(s.header, s.claims, ec.privateKey);
    const index = at % token.length;
    return token.slice(0, index) + char + token.slice(index + 1);
  }),
  fc.constantFrom('=', '==').chain((padding) =>
    fc.constantFrom(0, 1, 2).map((segment) => (s: Spec) => {
      const parts = forge(s.header, s.claims, ec.privateKey).split('.');
      parts[segment] = `${parts[segment]}${padding}`;
      return parts.join('.');
    }),
  ),
];

describe('access verifier, differential against jose jwtVerify', () => {
  test.prop([validToken])('accepts every valid token, as jose does', async ({ header, claims }) => {
    const token = forge(header, claims, ec.privateKey);
    expect(await accepted(jwtVerify(token, ec.publicKey, joseOptions))).toBe(true);
    expect(await accepted(differential.verify(token))).toBe(true);
    expect(differential.verifySync(token).userId).toBe(claims.sub);
  });

  test.prop([validToken, fc.oneof(...mutations)])('accepts nothing jose rejects', async (spec, mutate) => {
    const token = mutate(spec);
    const ours = await accepted(differential.verify(token));
    const sync = await accepted(Promise.resolve().then(() => differential.verifySync(token)));
    expect(sync).toBe(ours);
    const jose = await accepted(jwtVerify(token, ec.publicKey, joseOptions));
    if (ours) expect(jose).toBe(true);
  });
});
