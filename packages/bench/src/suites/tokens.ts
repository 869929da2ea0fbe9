/**
 * @latchkey/tokens. Every token figure is paired with its peers in the same form:
 * - async: latchkey's `sign`/`issue`/`verify` (crypto on the libuv threadpool) beside jose and raw
 *   callback `node:crypto`;
 * - sync: latchkey's `signSync`/`issueSync`/`verifySync` beside fast-jwt's synchronous signer and
 *   verifier and raw synchronous `node:crypto`;
 * - access-token verify beside session-token verify (the same compact path, goal ≥ 0.95×);
 * - the verified-token cache against fast-jwt's cache; session creation (once per session);
 * - the memory replay guard's claim cost at N = 1k and 100k, full and churning (its growth judged beside
 *   a bare Map's growth doing the same churn), and a refusal when full.
 */
import {
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  generateKeyPair,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  createAccessTokenIssuer,
  createAccessTokenVerifier,
  createBootstrapIssuer,
  createMemoryReplayGuard,
  createSessionTokenSigner,
  createSessionTokenVerifier,
  exportSessionPrivateJwk,
  generateSessionKeyPair,
  importSessionPrivateKey,
} from '@latchkey/tokens';
import { createSigner, createVerifier } from 'fast-jwt';
import { jwtVerify, SignJWT } from 'jose';
import { type Benchmark, compareThroughput, plain, versus } from '../harness.js';

const ISSUER = 'latchkey-router';
const AUDIENCE = 'latchkey-sandbox';
const SESSION_ID = 'sess_bench_0123456789';
const USER_ID = 'alice@example.com';
const SESSION_TYP = 'latchkey-session+jwt';

interface Fixture {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly privatePem: string;
  readonly publicPem: string;
  readonly sessionToken: string;
  readonly accessToken: string;
  readonly signingInput: Buffer;
  readonly derSignature: Buffer;
}

async function fixture(): Promise<Fixture> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = createSessionTokenSigner({
    privateKey,
    issuer: ISSUER,
    audience: AUDIENCE,
    sessionId: SESSION_ID,
    ttlSeconds: 3600,
  });
  const sessionToken = await signer.sign();
  const { token: accessToken } = await createAccessTokenIssuer({
    privateKey,
    issuer: ISSUER,
    audience: AUDIENCE,
  }).issue(USER_ID, { role: 'editor' });
  const signingInput = Buffer.from(sessionToken.slice(0, sessionToken.lastIndexOf('.')), 'latin1');
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    sessionToken,
    accessToken,
    signingInput,
    derSignature: cryptoSign('sha256', signingInput, privateKey),
  };
}

// Raw node:crypto in callback form: the limit the async forms are held to.
function rawSign(key: KeyObject, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    cryptoSign('sha256', data, key, (error, signature) => (error ? reject(error) : resolve(signature))),
  );
}
function rawVerify(key: KeyObject, data: Buffer, signature: Buffer): Promise<boolean> {
  return new Promise((resolve, reject) =>
    cryptoVerify('sha256', data, key, signature, (error, valid) => (error ? reject(error) : resolve(valid))),
  );
}

function contenders(f: Fixture) {
  const signer = createSessionTokenSigner({
    privateKey: f.privateKey,
    issuer: ISSUER,
    audience: AUDIENCE,
    sessionId: SESSION_ID,
  });
  const sessionVerifier = createSessionTokenVerifier({
    publicKey: f.publicKey,
    issuer: ISSUER,
    audience: AUDIENCE,
    expectedSessionId: SESSION_ID,
  });
  const accessIssuer = createAccessTokenIssuer<{ role: string }>({
    privateKey: f.privateKey,
    issuer: ISSUER,
    audience: AUDIENCE,
  });
  const accessVerifier = createAccessTokenVerifier({
    publicKey: f.publicKey,
    issuer: ISSUER,
    audience: AUDIENCE,
  });
  // fast-jwt with the checks it has that match ours (iss, aud, sub; exp and iat are checked by default).
  const fastSign = createSigner({
    key: f.privatePem,
    algorithm: 'ES256',
    iss: ISSUER,
    aud: AUDIENCE,
    sub: SESSION_ID,
    expiresIn: 300_000,
    header: { alg: 'ES256', typ: SESSION_TYP },
  });
  const fastVerify = createVerifier({
    key: f.publicPem,
    algorithms: ['ES256'],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    allowedSub: SESSION_ID,
  });
  const joseSign = (): Promise<string> =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', typ: SESSION_TYP })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(SESSION_ID)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(f.privateKey);
  const joseVerify = (): Promise<unknown> =>
    jwtVerify(f.sessionToken, f.publicKey, {
      algorithms: ['ES256'],
      typ: SESSION_TYP,
      issuer: ISSUER,
      audience: AUDIENCE,
      subject: SESSION_ID,
    });
  return {
    signer,
    sessionVerifier,
    accessIssuer,
    accessVerifier,
    fastSign,
    fastVerify,
    joseSign,
    joseVerify,
  };
}

const asyncForms: Benchmark = {
  name: 'tokens: async sign/verify, one at a time (latchkey, jose, raw callback node:crypto)',
  async run(context) {
    const f = await fixture();
    const c = contenders(f);
    const sign = await compareThroughput(
      {
        raw: () => rawSign(f.privateKey, f.signingInput),
        session: () => c.signer.sign(),
        access: () => c.accessIssuer.issue(USER_ID, { role: 'editor' }),
        jose: c.joseSign,
      },
      context,
    );
    const verify = await compareThroughput(
      {
        raw: () => rawVerify(f.publicKey, f.signingInput, f.derSignature),
        // The same call again, as its own contender: its ratio is the noise floor of this comparison.
        rawAgain: () => rawVerify(f.publicKey, f.signingInput, f.derSignature),
        session: () => c.sessionVerifier.verify(f.sessionToken),
        access: () => c.accessVerifier.verify(f.accessToken),
        jose: c.joseVerify,
      },
      context,
    );
    const rawSignBase = { name: 'raw node:crypto ES256 sign (callback)', value: sign.raw };
    const joseSignBase = { name: 'jose SignJWT ES256', value: sign.jose };
    const rawVerifyBase = { name: 'raw node:crypto ES256 verify (callback)', value: verify.raw };
    const joseVerifyBase = { name: 'jose jwtVerify ES256', value: verify.jose };
    const sessionVerifyBase = { name: 'session verify', value: verify.session };
    return [
      plain(rawSignBase.name, sign.raw, 'ops/s'),
      versus(joseSignBase.name, sign.jose, 'ops/s', rawSignBase),
      versus('session sign', sign.session, 'ops/s', rawSignBase, { target: '>= 0.90' }),
      versus('session sign vs jose', sign.session, 'ops/s', joseSignBase, { target: '>= 1.00' }),
      versus('access issue', sign.access, 'ops/s', rawSignBase, { target: '>= 0.90' }),
      versus('access issue vs jose', sign.access, 'ops/s', joseSignBase, { target: '>= 1.00' }),
      plain(rawVerifyBase.name, verify.raw, 'ops/s'),
      versus(
        'raw ES256 verify again (A/A control: the noise floor)',
        verify.rawAgain,
        'ops/s',
        rawVerifyBase,
      ),
      versus(joseVerifyBase.name, verify.jose, 'ops/s', rawVerifyBase),
      versus('session verify', verify.session, 'ops/s', rawVerifyBase, { target: '>= 0.90' }),
      versus('session verify vs jose', verify.session, 'ops/s', joseVerifyBase, { target: '>= 1.00' }),
      versus('access verify', verify.access, 'ops/s', rawVerifyBase, { target: '>= 0.90' }),
      versus('access verify vs jose', verify.access, 'ops/s', joseVerifyBase, { target: '>= 1.00' }),
      versus('access verify vs session verify', verify.access, 'ops/s', sessionVerifyBase, {
        target: '>= 0.95',
      }),
    ];
  },
};

const syncForms: Benchmark = {
  name: 'tokens: sync sign/verify (latchkey, fast-jwt, raw sync node:crypto)',
  async run(context) {
    const f = await fixture();
    const c = contenders(f);
    const sign = await compareThroughput(
      {
        raw: () => cryptoSign('sha256', f.signingInput, f.privateKey),
        session: () => c.signer.signSync(),
        access: () => c.accessIssuer.issueSync(USER_ID, { role: 'editor' }),
        fastJwt: () => c.fastSign({}),
      },
      context,
    );
    const verify = await compareThroughput(
      {
        raw: () => cryptoVerify('sha256', f.signingInput, f.publicKey, f.derSignature),
        session: () => c.sessionVerifier.verifySync(f.sessionToken),
        access: () => c.accessVerifier.verifySync(f.accessToken),
        fastJwt: () => c.fastVerify(f.sessionToken),
      },
      context,
    );
    const rawSignBase = { name: 'raw node:crypto ES256 sign (sync)', value: sign.raw };
    const fastSignBase = { name: 'fast-jwt sign ES256 (sync)', value: sign.fastJwt };
    const rawVerifyBase = { name: 'raw node:crypto ES256 verify (sync)', value: verify.raw };
    const fastVerifyBase = { name: 'fast-jwt verify ES256 (sync)', value: verify.fastJwt };
    const sessionVerifyBase = { name: 'session verifySync', value: verify.session };
    return [
      plain(rawSignBase.name, sign.raw, 'ops/s'),
      versus(fastSignBase.name, sign.fastJwt, 'ops/s', rawSignBase),
      versus('session signSync', sign.session, 'ops/s', rawSignBase, { target: '>= 0.90' }),
      versus('session signSync vs fast-jwt', sign.session, 'ops/s', fastSignBase, { target: '>= 1.00' }),
      versus('access issueSync', sign.access, 'ops/s', rawSignBase, { target: '>= 0.90' }),
      versus('access issueSync vs fast-jwt', sign.access, 'ops/s', fastSignBase, { target: '>= 1.00' }),
      plain(rawVerifyBase.name, verify.raw, 'ops/s'),
      versus(fastVerifyBase.name, verify.fastJwt, 'ops/s', rawVerifyBase),
      versus('session verifySync', verify.session, 'ops/s', rawVerifyBase, { target: '>= 0.90' }),
      versus('session verifySync vs fast-jwt', verify.session, 'ops/s', fastVerifyBase, {
        target: '>= 1.00',
      }),
      versus('access verifySync', verify.access, 'ops/s', rawVerifyBase, { target: '>= 0.90' }),
      versus('access verifySync vs fast-jwt', verify.access, 'ops/s', fastVerifyBase, { target: '>= 1.00' }),
      versus('access verifySync vs session verifySync', verify.access, 'ops/s', sessionVerifyBase, {
        target: '>= 0.95',
      }),
    ];
  },
};

const inFlight: Benchmark = {
  name: 'tokens: session and access sign/verify, 16 in flight',
  async run(context) {
    const f = await fixture();
    const c = contenders(f);
    const sign = await compareThroughput(
      { raw: () => rawSign(f.privateKey, f.signingInput), session: () => c.signer.sign(), jose: c.joseSign },
      context,
      { inFlight: 16 },
    );
    const verify = await compareThroughput(
      {
        raw: () => rawVerify(f.publicKey, f.signingInput, f.derSignature),
        session: () => c.sessionVerifier.verify(f.sessionToken),
        access: () => c.accessVerifier.verify(f.accessToken),
        jose: c.joseVerify,
      },
      context,
      { inFlight: 16 },
    );
    const rawSignBase = { name: 'raw node:crypto ES256 sign c16 (callback)', value: sign.raw };
    const rawVerifyBase = { name: 'raw node:crypto ES256 verify c16 (callback)', value: verify.raw };
    return [
      plain(rawSignBase.name, sign.raw, 'ops/s'),
      versus('session sign c16', sign.session, 'ops/s', rawSignBase, { target: '>= 0.90' }),
      versus('jose SignJWT ES256 c16', sign.jose, 'ops/s', rawSignBase),
      plain(rawVerifyBase.name, verify.raw, 'ops/s'),
      versus('session verify c16', verify.session, 'ops/s', rawVerifyBase, { target: '>= 0.90' }),
      versus('access verify c16', verify.access, 'ops/s', rawVerifyBase, { target: '>= 0.90' }),
      versus('jose jwtVerify ES256 c16', verify.jose, 'ops/s', rawVerifyBase),
    ];
  },
};

const sessionCacheHit: Benchmark = {
  name: 'tokens: session verify cache hit',
  async run(context) {
    const f = await fixture();
    const verifier = createSessionTokenVerifier({
      publicKey: f.publicKey,
      issuer: ISSUER,
      audience: AUDIENCE,
      expectedSessionId: SESSION_ID,
      cache: { max: 1000 },
    });
    const fastVerify = createVerifier({
      key: f.publicPem,
      algorithms: ['ES256'],
      allowedIss: ISSUER,
      allowedAud: AUDIENCE,
      cache: 1000,
    });
    await verifier.verify(f.sessionToken);
    fastVerify(f.sessionToken);
    const hit = await compareThroughput(
      {
        fastJwt: () => fastVerify(f.sessionToken),
        latchkey: () => verifier.verify(f.sessionToken),
        latchkeySync: () => verifier.verifySync(f.sessionToken),
      },
      context,
    );
    const base = { name: 'fast-jwt verify cache hit (sync)', value: hit.fastJwt };
    return [
      plain(base.name, hit.fastJwt, 'ops/s'),
      versus('session verify cache-hit', hit.latchkey, 'ops/s', base, { target: '>= 1.50' }),
      versus('session verifySync cache-hit', hit.latchkeySync, 'ops/s', base, { target: '>= 1.50' }),
    ];
  },
};

function rawKeygen(): Promise<KeyObject> {
  return new Promise((resolve, reject) =>
    generateKeyPair('ec', { namedCurve: 'P-256' }, (error, publicKey) =>
      error ? reject(error) : resolve(publicKey),
    ),
  );
}

const sessionCreate: Benchmark = {
  name: 'tokens: session create and key import',
  async run(context) {
    const { privateKey: rsaKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const issuer = createBootstrapIssuer({ privateKey: rsaKey, issuer: ISSUER, audience: AUDIENCE });
    const claims = Buffer.from(
      JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: SESSION_ID, x: 'y'.repeat(200) }),
    );
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = exportSessionPrivateJwk(privateKey);
    const pkcs8 = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const create = await compareThroughput(
      {
        raw: async () => {
          await rawKeygen();
          await rawSign(rsaKey, claims);
        },
        latchkey: async () => {
          const pair = await generateSessionKeyPair();
          await issuer.issue({ sessionId: SESSION_ID, sessionPublicKey: pair.publicJwk });
        },
      },
      context,
    );
    const load = await compareThroughput(
      {
        pkcs8: () => createPrivateKey(pkcs8),
        jwk: () => importSessionPrivateKey(jwk),
        rawJwk: () => createPrivateKey({ key: { ...jwk }, format: 'jwk' }),
        publicJwk: () =>
          createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' }),
      },
      context,
    );
    const rawBase = { name: 'raw P-256 keygen + RS256 sign (callback)', value: create.raw };
    const pkcs8Base = { name: 'P-256 private key import, PKCS#8 PEM (createPrivateKey)', value: load.pkcs8 };
    const rawJwkBase = { name: 'P-256 private key import, JWK (createPrivateKey)', value: load.rawJwk };
    return [
      plain(rawBase.name, create.raw, 'ops/s'),
      versus('session create', create.latchkey, 'ops/s', rawBase, { target: 'reported' }),
      plain(pkcs8Base.name, load.pkcs8, 'ops/s'),
      versus(rawJwkBase.name, load.rawJwk, 'ops/s', pkcs8Base),
      versus('P-256 private key import, JWK (importSessionPrivateKey)', load.jwk, 'ops/s', rawJwkBase),
      plain('P-256 public key import, JWK (createPublicKey)', load.publicJwk, 'ops/s'),
    ];
  },
};

// --- memory replay guard at scale -----------------------------------------------------------------

function gcFunction(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

const LIFETIME_MS = 300_000;
const noop = (): void => undefined;

interface GuardCase {
  /** A bare `Map` of the same size doing the same churn (one delete, one set): the floor. */
  readonly mapChurn: () => void;
  readonly churn: () => void;
  readonly refuse: () => void;
  readonly hit: () => void;
}

/** A guard of `max` ids, full, with expiries spread so that one id expires per churning claim. */
function fullGuard(max: number): GuardCase {
  let clock = 1_000_000_000;
  const step = LIFETIME_MS / max;
  const churning = createMemoryReplayGuard({ max, now: () => clock });
  for (let i = 0; i < max; i++) void churning.claim(`f${i}`, clock + i * step + 1);
  let next = 0;
  // Full of live ids that outlive the run: every new id is refused.
  const fixedClock = 1_000_000_000;
  const live = createMemoryReplayGuard({ max, now: () => fixedClock });
  for (let i = 0; i < max; i++) void live.claim(`l${i}`, fixedClock + 10 * LIFETIME_MS + i);
  let refused = 0;
  const map = new Map<string, number>();
  const mapOrder: string[] = [];
  for (let i = 0; i < max; i++) {
    map.set(`m${i}`, i);
    mapOrder.push(`m${i}`);
  }
  let mapHead = 0;
  return {
    mapChurn: () => {
      map.delete(mapOrder[mapHead] as string);
      const key = `n${next++}`;
      mapOrder[mapHead] = key;
      mapHead = (mapHead + 1) % max;
      map.set(key, 1);
    },
    churn: () => {
      clock += step;
      void churning.claim(`c${next++}`, clock + LIFETIME_MS);
    },
    refuse: () => {
      live.claim(`r${refused++}`, fixedClock + LIFETIME_MS).catch(noop);
    },
    hit: () => {
      void live.claim('l0', fixedClock + LIFETIME_MS);
    },
  };
}

function bytesPerItem(max: number, gc: () => void): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const guard = createMemoryReplayGuard({ max, now: () => 0 });
  // 22-character ids, the length of a 128-bit base64url jti.
  for (let i = 0; i < max; i++) void guard.claim(`jti-${i.toString().padStart(18, '0')}`, LIFETIME_MS + i);
  gc();
  const after = process.memoryUsage().heapUsed;
  if (guard.size !== max) throw new Error('guard not full');
  return (after - before) / max;
}

const replayGuardScale: Benchmark = {
  name: 'tokens: memory replay guard claim at 1k vs 100k, full and churning',
  async run(context) {
    const small = fullGuard(1_000);
    const large = fullGuard(100_000);
    const rates = await compareThroughput(
      {
        map1k: small.mapChurn,
        map100k: large.mapChurn,
        churn1k: small.churn,
        churn100k: large.churn,
        refuse1k: small.refuse,
        refuse100k: large.refuse,
        hit1k: small.hit,
        hit100k: large.hit,
      },
      context,
    );
    const ns = (rate: number): number => 1e9 / rate;
    const churnBase = { name: 'replay guard claim, full & churning, N=1k', value: ns(rates.churn1k) };
    const refuseBase = { name: 'replay guard refusal, full of live ids, N=1k', value: ns(rates.refuse1k) };
    const hitBase = { name: 'replay guard hit (a replay), N=100k', value: ns(rates.hit100k) };
    const mapBase = { name: 'bare Map delete + set churn, N=1k (the floor)', value: ns(rates.map1k) };
    const map100kBase = { name: 'bare Map delete + set churn, N=100k', value: ns(rates.map100k) };
    const figures = [
      plain(mapBase.name, mapBase.value, 'ns/op'),
      versus(map100kBase.name, map100kBase.value, 'ns/op', mapBase, { target: 'reported' }),
      plain(churnBase.name, churnBase.value, 'ns/op'),
      versus('replay guard claim, full & churning, N=100k', ns(rates.churn100k), 'ns/op', churnBase, {
        target: 'reported',
      }),
      versus(
        'replay guard claim, full & churning, N=100k vs bare Map',
        ns(rates.churn100k),
        'ns/op',
        map100kBase,
        {
          target: 'reported',
        },
      ),
      // Churn over 100x the keys misses the CPU caches whatever holds them (the bare Map's own growth
      // shows how much): the guard is held to adding no growth of its own.
      plain(
        'replay guard claim growth ÷ bare Map churn growth, 100k ÷ 1k',
        rates.churn1k / rates.churn100k / (rates.map1k / rates.map100k),
        '×',
        { target: '<= 1.50' },
      ),
      plain(refuseBase.name, refuseBase.value, 'ns/op'),
      versus('replay guard refusal, full of live ids, N=100k', ns(rates.refuse100k), 'ns/op', refuseBase, {
        target: '<= 1.50',
      }),
      plain(hitBase.name, hitBase.value, 'ns/op'),
      versus('replay guard refusal vs hit, N=100k', ns(rates.refuse100k), 'ns/op', hitBase, {
        target: 'reported',
      }),
    ];
    const gc = gcFunction();
    if (gc !== undefined)
      figures.push(plain('replay guard memory per held id (N=100k)', bytesPerItem(100_000, gc), 'B'));
    return figures;
  },
};

const benchmarks: Benchmark[] = [
  asyncForms,
  syncForms,
  inFlight,
  sessionCacheHit,
  sessionCreate,
  replayGuardScale,
];
export default benchmarks;
