/**
 * @latchkey/tokens: the session-token path (every request) against raw node:crypto ES256 in the same
 * form the package uses (callback, on the libuv threadpool), with jose and fast-jwt beside it; the
 * verified-token cache against fast-jwt's cache; session creation (once per session), measured only.
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
import {
  createBootstrapIssuer,
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
const TYP = 'latchkey-session+jwt';

interface Fixture {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly token: string;
  readonly signingInput: Buffer;
  readonly derSignature: Buffer;
  readonly p1363Signature: Buffer;
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
  const token = await signer.sign();
  const signingInput = Buffer.from(token.slice(0, token.lastIndexOf('.')), 'latin1');
  return {
    privateKey,
    publicKey,
    token,
    signingInput,
    derSignature: cryptoSign('sha256', signingInput, privateKey),
    p1363Signature: cryptoSign('sha256', signingInput, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
  };
}

// Raw node:crypto in callback form: the limit the package is held to.
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
function rawSignP1363(key: KeyObject, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    cryptoSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, (error, signature) =>
      error ? reject(error) : resolve(signature),
    ),
  );
}
function rawVerifyP1363(key: KeyObject, data: Buffer, signature: Buffer): Promise<boolean> {
  return new Promise((resolve, reject) =>
    cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature, (error, valid) =>
      error ? reject(error) : resolve(valid),
    ),
  );
}

function contenders(f: Fixture) {
  const signer = createSessionTokenSigner({
    privateKey: f.privateKey,
    issuer: ISSUER,
    audience: AUDIENCE,
    sessionId: SESSION_ID,
  });
  const verifier = createSessionTokenVerifier({
    publicKey: f.publicKey,
    issuer: ISSUER,
    audience: AUDIENCE,
    sessionId: SESSION_ID,
  });
  const fastSign = createSigner({
    key: f.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    algorithm: 'ES256',
    iss: ISSUER,
    aud: AUDIENCE,
    sub: SESSION_ID,
    expiresIn: 300_000,
    header: { alg: 'ES256', typ: TYP },
  });
  const fastVerify = createVerifier({
    key: f.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    algorithms: ['ES256'],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    allowedSub: SESSION_ID,
  });
  const joseSign = (): Promise<string> =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', typ: TYP })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(SESSION_ID)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(f.privateKey);
  const joseVerify = (): Promise<unknown> =>
    jwtVerify(f.token, f.publicKey, {
      algorithms: ['ES256'],
      typ: TYP,
      issuer: ISSUER,
      audience: AUDIENCE,
      subject: SESSION_ID,
    });
  return { signer, verifier, fastSign, fastVerify, joseSign, joseVerify };
}

const sessionOneAtATime: Benchmark = {
  name: 'tokens: session sign/verify, one at a time',
  async run(context) {
    const f = await fixture();
    const c = contenders(f);
    const sign = await compareThroughput(
      {
        raw: () => rawSign(f.privateKey, f.signingInput),
        rawP1363: () => rawSignP1363(f.privateKey, f.signingInput),
        latchkey: () => c.signer.sign(),
        jose: c.joseSign,
        fastJwt: () => c.fastSign({}),
      },
      context,
    );
    const verify = await compareThroughput(
      {
        raw: () => rawVerify(f.publicKey, f.signingInput, f.derSignature),
        // The same call again, as its own contender: its ratio is the noise floor of this comparison.
        rawAgain: () => rawVerify(f.publicKey, f.signingInput, f.derSignature),
        rawP1363: () => rawVerifyP1363(f.publicKey, f.signingInput, f.p1363Signature),
        latchkey: () => c.verifier.verify(f.token),
        jose: c.joseVerify,
        fastJwt: () => c.fastVerify(f.token),
      },
      context,
    );
    const rawSignBase = { name: 'raw node:crypto ES256 sign (callback)', value: sign.raw };
    const rawVerifyBase = { name: 'raw node:crypto ES256 verify (callback)', value: verify.raw };
    return [
      plain(rawSignBase.name, sign.raw, 'ops/s'),
      versus('session sign', sign.latchkey, 'ops/s', rawSignBase, { target: '>= 0.90' }),
      versus('raw ES256 sign, p1363 options object (callback)', sign.rawP1363, 'ops/s', rawSignBase),
      versus('jose SignJWT ES256', sign.jose, 'ops/s', rawSignBase),
      versus('fast-jwt sign ES256 (sync)', sign.fastJwt, 'ops/s', rawSignBase),
      plain(rawVerifyBase.name, verify.raw, 'ops/s'),
      versus('session verify', verify.latchkey, 'ops/s', rawVerifyBase, { target: '>= 0.95' }),
      versus(
        'raw ES256 verify again (A/A control: the noise floor)',
        verify.rawAgain,
        'ops/s',
        rawVerifyBase,
      ),
      versus('raw ES256 verify, p1363 options object (callback)', verify.rawP1363, 'ops/s', rawVerifyBase),
      versus('jose jwtVerify ES256', verify.jose, 'ops/s', rawVerifyBase),
      versus('fast-jwt verify ES256 (sync)', verify.fastJwt, 'ops/s', rawVerifyBase),
    ];
  },
};

const sessionInFlight: Benchmark = {
  name: 'tokens: session sign/verify, 16 in flight',
  async run(context) {
    const f = await fixture();
    const c = contenders(f);
    const sign = await compareThroughput(
      { raw: () => rawSign(f.privateKey, f.signingInput), latchkey: () => c.signer.sign(), jose: c.joseSign },
      context,
      { inFlight: 16 },
    );
    const verify = await compareThroughput(
      {
        raw: () => rawVerify(f.publicKey, f.signingInput, f.derSignature),
        latchkey: () => c.verifier.verify(f.token),
        jose: c.joseVerify,
      },
      context,
      { inFlight: 16 },
    );
    const rawSignBase = { name: 'raw node:crypto ES256 sign c16 (callback)', value: sign.raw };
    const rawVerifyBase = { name: 'raw node:crypto ES256 verify c16 (callback)', value: verify.raw };
    return [
      plain(rawSignBase.name, sign.raw, 'ops/s'),
      versus('session sign c16', sign.latchkey, 'ops/s', rawSignBase, { target: '>= 0.90' }),
      versus('jose SignJWT ES256 c16', sign.jose, 'ops/s', rawSignBase),
      plain(rawVerifyBase.name, verify.raw, 'ops/s'),
      versus('session verify c16', verify.latchkey, 'ops/s', rawVerifyBase, { target: '>= 0.90' }),
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
      sessionId: SESSION_ID,
      cache: { max: 1000 },
    });
    const fastVerify = createVerifier({
      key: f.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      algorithms: ['ES256'],
      allowedIss: ISSUER,
      allowedAud: AUDIENCE,
      cache: 1000,
    });
    await verifier.verify(f.token);
    fastVerify(f.token);
    const hit = await compareThroughput(
      { fastJwt: () => fastVerify(f.token), latchkey: () => verifier.verify(f.token) },
      context,
    );
    const base = { name: 'fast-jwt verify cache hit (sync)', value: hit.fastJwt };
    return [
      plain(base.name, hit.fastJwt, 'ops/s'),
      versus('session verify cache-hit', hit.latchkey, 'ops/s', base, { target: '>= 1.50' }),
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
    return [
      plain(rawBase.name, create.raw, 'ops/s'),
      versus('session create', create.latchkey, 'ops/s', rawBase, { target: 'reported' }),
      plain(pkcs8Base.name, load.pkcs8, 'ops/s'),
      versus('P-256 private key import, JWK (importSessionPrivateKey)', load.jwk, 'ops/s', pkcs8Base),
      versus('P-256 private key import, JWK (createPrivateKey)', load.rawJwk, 'ops/s', pkcs8Base),
      plain('P-256 public key import, JWK (createPublicKey)', load.publicJwk, 'ops/s'),
    ];
  },
};

const benchmarks: Benchmark[] = [sessionOneAtATime, sessionInFlight, sessionCacheHit, sessionCreate];
export default benchmarks;
