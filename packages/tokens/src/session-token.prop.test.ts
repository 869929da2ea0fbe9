import { generateKeyPairSync } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { sessionId } from '@latchkey/testkit/arbitraries';
import { jwtVerify } from 'jose';
import { describe, expect } from 'vitest';
import {
  AUDIENCE,
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
} from '../test/helpers.js';
import { createBootstrapIssuer, createBootstrapVerifier } from './bootstrap-token.js';
import { createMemoryReplayGuard } from './replay-guard.js';
import { createSessionTokenSigner, createSessionTokenVerifier } from './session-token.js';

const REGISTERED = ['iss', 'aud', 'sub', 'iat', 'exp', 'nbf', 'jti'];
const extraClaims = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 12 }).filter((name) => !REGISTERED.includes(name)),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 4 },
);
const accepted = (promise: Promise<unknown>): Promise<boolean> =>
  promise.then(
    () => true,
    () => false,
  );

describe('session tokens', () => {
  test.prop([sessionId(), extraClaims, fc.integer({ min: 1, max: 3600 }), fc.boolean()])(
    'sign → verify round-trips any session id and extra claims',
    async (id, extra, ttlSeconds, withJti) => {
      const signer = createSessionTokenSigner({
        privateKey: ec.privateKey,
        issuer: ISSUER,
        audience: AUDIENCE,
        sessionId: id,
        now,
        ttlSeconds,
        withJti,
      });
      const verifier = createSessionTokenVerifier({
        publicKey: ec.publicKey,
        issuer: ISSUER,
        audience: AUDIENCE,
        expectedSessionId: id,
        now,
      });
      const claims = await verifier.verify(await signer.sign(extra));
      expect(claims).toMatchObject({
        sessionId: id,
        issuedAtSeconds: NOW,
        expiresAtSeconds: NOW + ttlSeconds,
      });
      expect(claims.claims).toEqual({ ...JSON.parse(JSON.stringify(extra)), ...(claims.claims as object) });
    },
  );

  const signer = createSessionTokenSigner({
    privateKey: ec.privateKey,
    issuer: ISSUER,
    audience: AUDIENCE,
    sessionId: SESSION_ID,
    now,
  });
  const verifier = createSessionTokenVerifier({
    publicKey: ec.publicKey,
    issuer: ISSUER,
    audience: AUDIENCE,
    expectedSessionId: SESSION_ID,
    now,
  });

  test.prop([extraClaims, fc.nat(), fc.constantFrom(...'AQgwBRhx09-_.=+/ \u00e9')])(
    'any single-character change to a token is rejected',
    async (extra, at, replacement) => {
      const token = await signer.sign(extra);
      const index = at % token.length;
      fc.pre(token[index] !== replacement);
      const changed = token.slice(0, index) + replacement + token.slice(index + 1);
      await expect(verifier.verify(changed)).rejects.toMatchObject({
        code: 'INVALID_SESSION_TOKEN',
        status: 401,
      });
    },
  );

  const keys = Array.from({ length: 4 }, () => generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  test.prop([sessionId(), fc.nat(3), fc.nat(2)])(
    'a token never verifies under another session key',
    async (id, a, shift) => {
      const own = keys[a] ?? ec;
      const other = keys[(a + 1 + shift) % keys.length] ?? ec2;
      const token = await createSessionTokenSigner({
        privateKey: own.privateKey,
        issuer: ISSUER,
        audience: AUDIENCE,
        sessionId: id,
        now,
      }).sign();
      const wrong = createSessionTokenVerifier({
        publicKey: other.publicKey,
        issuer: ISSUER,
        audience: AUDIENCE,
        now,
      });
      await expect(wrong.verify(token)).rejects.toMatchObject({
        code: 'INVALID_SESSION_TOKEN',
        reason: 'bad-signature',
      });
    },
  );

  test.prop([sessionId()])('bootstrap and session tokens are never accepted as each other', async (id) => {
    const replayGuard = createMemoryReplayGuard({ max: 10, now });
    for (const algorithm of ['ES256', 'RS256'] as const) {
      const pair = algorithm === 'ES256' ? ec : rsa;
      const bootstrap = await createBootstrapIssuer({
        privateKey: pair.privateKey,
        algorithm,
        issuer: ISSUER,
        audience: AUDIENCE,
        now,
      }).issue({
        sessionId: id,
        sessionPublicKey: ec2.publicKey,
      });
      const asSession = createSessionTokenVerifier({
        publicKey: ec.publicKey,
        issuer: ISSUER,
        audience: AUDIENCE,
        now,
      });
      await expect(asSession.verify(bootstrap)).rejects.toMatchObject({ code: 'INVALID_SESSION_TOKEN' });
    }
    const session = await createSessionTokenSigner({
      privateKey: ec.privateKey,
      issuer: ISSUER,
      audience: AUDIENCE,
      sessionId: id,
      now,
    }).sign();
    const asBootstrap = createBootstrapVerifier({
      publicKey: ec.publicKey,
      algorithms: ['ES256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      replayGuard,
      now,
    });
    await expect(asBootstrap.verify(session)).rejects.toMatchObject({
      code: 'INVALID_BOOTSTRAP_TOKEN',
      reason: 'wrong-type',
    });
  });
});

// --- differential test against jose's jwtVerify ---------------------------------------------------

const TOLERANCE = 5;
const joseOptions = {
  algorithms: ['ES256'],
  typ: 'latchkey-session+jwt',
  issuer: ISSUER,
  audience: AUDIENCE,
  subject: SESSION_ID,
  clockTolerance: TOLERANCE,
  currentDate: new Date(NOW_MS),
  requiredClaims: ['iat', 'exp', 'sub'],
};
const differential = createSessionTokenVerifier({
  publicKey: ec.publicKey,
  issuer: ISSUER,
  audience: AUDIENCE,
  expectedSessionId: SESSION_ID,
  now,
  clockToleranceSeconds: TOLERANCE,
});

// Tokens inside every rule: jose and this package must both accept them.
const validToken = fc
  .record({
    lifetime: fc.integer({ min: 0, max: 3600 }),
    age: fc.integer({ min: -TOLERANCE, max: 4000 }),
    aud: fc.oneof(
      fc.constant<unknown>(AUDIENCE),
      fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }).map((rest) => [...rest, AUDIENCE]),
    ),
    jti: fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
    nbfOffset: fc.option(fc.integer({ min: -4000, max: TOLERANCE }), { nil: undefined }),
    extra: extraClaims,
    kid: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
  })
  .filter(({ lifetime, age }) => NOW - age + lifetime > NOW - TOLERANCE)
  .map(({ lifetime, age, aud, jti, nbfOffset, extra, kid }) => {
    const iat = NOW - age;
    const claims = {
      ...extra,
      iss: ISSUER,
      aud,
      sub: SESSION_ID,
      iat,
      exp: iat + lifetime,
      jti,
      nbf: nbfOffset === undefined ? undefined : NOW + nbfOffset,
    };
    return { header: { ...SESSION_HEADER, kid }, claims };
  });

type Spec = { header: Record<string, unknown>; claims: Record<string, unknown> };
const mutations: Array<fc.Arbitrary<(spec: Spec) => string>> = [
  fc
    .constantFrom('iss', 'aud', 'sub', 'iat', 'exp')
    .map((name) => (s: Spec) => forge(s.header, { ...s.claims, [name]: undefined }, ec.privateKey)),
  fc
    .constantFrom<unknown>('other', ['other'], 7, null, 'LATCHKEY-ROUTER')
    .chain((value) =>
      fc
        .constantFrom('iss', 'aud', 'sub')
        .map((name) => (s: Spec) => forge(s.header, { ...s.claims, [name]: value }, ec.privateKey)),
    ),
  fc
    .integer({ min: -100_000, max: 100_000 })
    .chain((offset) =>
      fc
        .constantFrom('iat', 'exp', 'nbf')
        .map((name) => (s: Spec) => forge(s.header, { ...s.claims, [name]: NOW + offset }, ec.privateKey)),
    ),
  fc
    .constantFrom<unknown>(
      'JWT',
      'LATCHKEY-SESSION+JWT',
      'application/latchkey-session+jwt',
      'latchkey-bootstrap+jwt',
      undefined,
      3,
    )
    .map((typ) => (s: Spec) => forge({ ...s.header, typ }, s.claims, ec.privateKey)),
  fc
    .constantFrom<Record<string, unknown>>(
      { crit: ['exp'] },
      { crit: ['b64'], b64: true },
      { jku: 'https://x' },
      { alg: 'ES384' },
      { alg: 'none' },
    )
    .map((extra) => (s: Spec) => forge({ ...s.header, ...extra }, s.claims, ec.privateKey)),
  fc.constant((s: Spec) => forge({ ...s.header, alg: 'RS256' }, s.claims, rsa.privateKey, 'RS256')),
  fc.constant((s: Spec) => forge(s.header, s.claims, ec2.privateKey)),
  fc.constant((s: Spec) =>
    forge(s.header, JSON.stringify(s.claims).replace(/}$/, ',"sub":"sess_other"}'), ec.privateKey),
  ),
  fc.constant((s: Spec) =>
    forge(s.header, JSON.stringify(s.claims).replace(/^\{/, '{"sub":"sess_other",'), ec.privateKey),
  ),
  fc.tuple(fc.nat(), fc.constantFrom(...'AQgwBRhx-_.=+/')).map(([at, char]) => (s: Spec) => {
    const token = forge(s.header, s.claims, ec.privateKey);
    const index = at % token.length;
    return token.slice(0, index) + char + token.slice(index + 1);
  }),
  fc.constantFrom(0, 1, 2).map((segment) => (s: Spec) => {
    const parts = forge(s.header, s.claims, ec.privateKey).split('.');
    parts[segment] = `${parts[segment]}=`;
    return parts.join('.');
  }),
];

describe('session verifier, differential against jose jwtVerify', () => {
  test.prop([validToken])('accepts every valid token, as jose does', async ({ header, claims }) => {
    const token = forge(header, claims, ec.privateKey);
    expect(await accepted(jwtVerify(token, ec.publicKey, joseOptions))).toBe(true);
    expect(await accepted(differential.verify(token))).toBe(true);
  });

  test.prop([validToken, fc.oneof(...mutations)])('accepts nothing jose rejects', async (spec, mutate) => {
    const token = mutate(spec);
    const ours = await accepted(differential.verify(token));
    const jose = await accepted(jwtVerify(token, ec.publicKey, joseOptions));
    if (ours) expect(jose).toBe(true);
  });
});
