import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readConsoleConfig, readRouterConfig, readSandboxConfig, readStoreConfig } from './config.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (key: typeof rsa.publicKey, type: 'spki' | 'pkcs8'): string =>
  key.export({ type, format: 'pem' }).toString();

describe('readSandboxConfig', () => {
  it('requires LATCHKEY_BOOTSTRAP_PUBLIC_KEY', () => {
    expect(() => readSandboxConfig({})).toThrow(TypeError);
  });

  it('reads an SPKI PEM or a public JWK, inferring the algorithm, and the defaults', () => {
    const fromPem = readSandboxConfig({ LATCHKEY_BOOTSTRAP_PUBLIC_KEY: pem(rsa.publicKey, 'spki') });
    expect(fromPem.bootstrapPublicKey.alg).toBe('RS256');
    expect(fromPem).toMatchObject({
      issuer: 'latchkey-router',
      audience: 'latchkey-sandbox',
      sessionId: undefined,
    });
    const jwk = JSON.stringify(ec.publicKey.export({ format: 'jwk' }));
    const fromJwk = readSandboxConfig({
      LATCHKEY_BOOTSTRAP_PUBLIC_KEY: jwk,
      LATCHKEY_SESSION_ID: 's-1',
      PORT: '0',
    });
    expect(fromJwk.bootstrapPublicKey.alg).toBe('ES256');
    expect(fromJwk).toMatchObject({ sessionId: 's-1', port: 0 });
  });

  it('refuses private material where a public key belongs, without echoing it', () => {
    const jwk = JSON.stringify(ec.privateKey.export({ format: 'jwk' }));
    expect(() => readSandboxConfig({ LATCHKEY_BOOTSTRAP_PUBLIC_KEY: jwk })).toThrow(
      /^LATCHKEY_BOOTSTRAP_PUBLIC_KEY: [^{]*$/,
    );
    expect(() => readSandboxConfig({ LATCHKEY_BOOTSTRAP_PUBLIC_KEY: pem(rsa.privateKey, 'pkcs8') })).toThrow(
      TypeError,
    );
  });

  it('refuses a PORT that is not a port', () => {
    const key = pem(rsa.publicKey, 'spki');
    expect(() => readSandboxConfig({ LATCHKEY_BOOTSTRAP_PUBLIC_KEY: key, PORT: 'http' })).toThrow(TypeError);
    expect(() => readSandboxConfig({ LATCHKEY_BOOTSTRAP_PUBLIC_KEY: key, PORT: '70000' })).toThrow(TypeError);
  });
});

describe('readRouterConfig', () => {
  it('reads a PKCS#8 PEM and a keyring, issuer and audience', () => {
    const keyring = JSON.stringify({ current: 'a', keys: { a: Buffer.alloc(32, 1).toString('base64') } });
    const config = readRouterConfig({
      LATCHKEY_BOOTSTRAP_PRIVATE_KEY: pem(rsa.privateKey, 'pkcs8'),
      LATCHKEY_KEYRING: keyring,
      LATCHKEY_ISSUER: 'me',
      LATCHKEY_AUDIENCE: 'them',
    });
    expect(config.bootstrapPrivateKey?.alg).toBe('RS256');
    expect(config.keyring?.current).toBe('a');
    expect(config).toMatchObject({ issuer: 'me', audience: 'them', store: { kind: 'memory' } });
  });

  it('leaves keys to be generated when unset, and refuses a keyring with a short key', () => {
    expect(readRouterConfig({})).toMatchObject({ bootstrapPrivateKey: undefined, keyring: undefined });
    const short = JSON.stringify({ current: 'a', keys: { a: Buffer.alloc(16).toString('base64') } });
    expect(() => readRouterConfig({ LATCHKEY_KEYRING: short })).toThrow(TypeError);
  });
});

describe('readConsoleConfig', () => {
  it('reports OAuth as configured only when both settings are present', () => {
    expect(readConsoleConfig({}).oauthConfigured).toBe(false);
    expect(readConsoleConfig({ GITHUB_CLIENT_ID: 'id' }).oauthConfigured).toBe(false);
    expect(readConsoleConfig({ GITHUB_CLIENT_SECRET: 's' }).oauthConfigured).toBe(false);
    expect(readConsoleConfig({ GITHUB_CLIENT_ID: 'id', GITHUB_CLIENT_SECRET: ' ' }).oauthConfigured).toBe(
      false,
    );
    expect(readConsoleConfig({ GITHUB_CLIENT_ID: 'id', GITHUB_CLIENT_SECRET: 's' }).oauthConfigured).toBe(
      true,
    );
  });

  it('accepts an EC P-256 console key as PEM or JWK and refuses RSA', () => {
    expect(readConsoleConfig({ LATCHKEY_CONSOLE_KEY: pem(ec.privateKey, 'pkcs8') }).consoleKey?.alg).toBe(
      'ES256',
    );
    const jwk = JSON.stringify(ec.privateKey.export({ format: 'jwk' }));
    expect(readConsoleConfig({ LATCHKEY_CONSOLE_KEY: jwk }).consoleKey?.alg).toBe('ES256');
    expect(() => readConsoleConfig({ LATCHKEY_CONSOLE_KEY: pem(rsa.privateKey, 'pkcs8') })).toThrow(
      TypeError,
    );
  });
});

describe('readStoreConfig', () => {
  it('prefers a cluster, then REDIS_URL, then VALKEY_URL, else memory', () => {
    expect(readStoreConfig({})).toEqual({ kind: 'memory' });
    expect(readStoreConfig({ VALKEY_URL: 'redis://v:1' })).toEqual({ kind: 'valkey', url: 'redis://v:1' });
    expect(readStoreConfig({ VALKEY_URL: 'redis://v:1', REDIS_URL: 'redis://r:2' })).toEqual({
      kind: 'redis',
      url: 'redis://r:2',
    });
    expect(
      readStoreConfig({ REDIS_URL: 'redis://r:2', REDIS_CLUSTER_NODES: '127.0.0.1:7000, 127.0.0.1:7001' }),
    ).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '127.0.0.1', port: 7001 },
      ],
    });
  });

  it('refuses cluster nodes that are not host:port', () => {
    expect(() => readStoreConfig({ REDIS_CLUSTER_NODES: '127.0.0.1' })).toThrow(TypeError);
    expect(() => readStoreConfig({ REDIS_CLUSTER_NODES: 'h:0' })).toThrow(TypeError);
  });
});
