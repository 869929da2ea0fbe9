import { fc, test } from '@fast-check/vitest';
import { createBootstrapIssuer, createSessionTokenSigner, generateSessionKeyPair } from '@latchkey/tokens';
import { beforeAll, describe, expect } from 'vitest';
import { bootstrapKeys } from '../../test/support.js';
import type { App } from '../respond.js';
import { createSandbox } from './server.js';

const ISSUER = 'latchkey-router';
const AUDIENCE = 'latchkey-sandbox';

describe('createSandbox', () => {
  let app: App;
  let token: string;

  beforeAll(async () => {
    const keys = bootstrapKeys();
    app = createSandbox({ bootstrapPublicKey: keys.publicKey, issuer: ISSUER, audience: AUDIENCE });
    const pair = await generateSessionKeyPair();
    const issuer = createBootstrapIssuer({ privateKey: keys.privateKey, issuer: ISSUER, audience: AUDIENCE });
    const bootstrap = await issuer.issue({ sessionId: 's-1', sessionPublicKey: pair.publicJwk });
    const init = await app(
      new Request('http://127.0.0.1/init', {
        method: 'POST',
        headers: { authorization: `Bearer ${bootstrap}` },
      }),
    );
    expect(init.status).toBe(200);
    token = createSessionTokenSigner({
      privateKey: pair.privateKey,
      issuer: ISSUER,
      audience: AUDIENCE,
      sessionId: 's-1',
    }).signSync();
  });

  test.prop([fc.jsonValue()])('echoes any JSON body unchanged', async (value) => {
    const body = JSON.stringify(value);
    const response = await app(
      new Request('http://127.0.0.1/api/echo', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body,
      }),
    );
    expect(response.status).toBe(200);
    expect(JSON.stringify(await response.json())).toBe(body);
  });

  test.prop([fc.string({ maxLength: 200 })])(
    'answers any other bearer string with 401 INVALID_SESSION_TOKEN',
    async (other) => {
      fc.pre(other !== token);
      const response = await app(
        new Request('http://127.0.0.1/api/whoami', { headers: { authorization: `Bearer ${other}` } }),
      );
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ code: 'INVALID_SESSION_TOKEN' });
    },
  );
});
