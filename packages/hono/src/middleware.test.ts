import { adapterScenarios, failure, policy, useTestApp } from '@latchkey/adapter-testkit';
import { createRoutePolicy } from '@latchkey/guards';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { startTestApp } from '../test/app.js';
import { identityOf, type LatchkeyEnv, latchkey, latchkeyErrorHandler } from './index.js';

const target = useTestApp(startTestApp);

adapterScenarios('latchkey (hono)', target);

describe('latchkey', () => {
  it('throws a TypeError for missing ports', () => {
    expect(() => latchkey({ verifier: target.kit().verifier, policy } as never)).toThrow(TypeError);
  });

  it('checks the full path under nested routes', async () => {
    const inner = new Hono<LatchkeyEnv>();
    inner.get('/me', (c) => c.json({ user: identityOf(c).userId }));
    const outer = new Hono<LatchkeyEnv>();
    outer.use(latchkey({ verifier: target.kit().verifier, revocation: target.kit().registry, policy }));
    outer.route('/', inner);
    outer.route('/me-not', inner);
    const app = new Hono();
    app.route('/api', outer);
    app.onError(latchkeyErrorHandler());
    const token = await target.kit().login('nina', 'viewer');
    const headers = { authorization: `Bearer ${token}` };
    expect((await app.request('/api/me', { headers })).status).toBe(200);
    const denied = await app.request('/api/me-not/me', { headers });
    expect(await failure(denied)).toEqual({ status: 403, code: 'FORBIDDEN' });
  });
});

describe('latchkey on percent-encoded paths', () => {
  it('authorises the path as the route Hono will run', async () => {
    const strict = createRoutePolicy([
      { method: 'GET', path: '/api/:id', minRole: 'viewer' },
      { method: 'GET', path: '/api/admin', minRole: 'admin' },
    ]);
    const app = new Hono<LatchkeyEnv>();
    app.use(
      '/api/*',
      latchkey({ verifier: target.kit().verifier, revocation: target.kit().registry, policy: strict }),
    );
    app.get('/api/admin', (c) => c.json({ route: 'admin' }));
    app.get('/api/:id', (c) => c.json({ route: 'id' }));
    app.onError(latchkeyErrorHandler());
    const viewer = { authorization: `Bearer ${await target.kit().login('pat', 'viewer')}` };
    const admin = { authorization: `Bearer ${await target.kit().login('pat', 'admin')}` };
    expect(await failure(await app.request('/api/%61dmin', { headers: viewer }))).toEqual({
      status: 403,
      code: 'FORBIDDEN',
    });
    expect(await (await app.request('/api/%61dmin', { headers: admin })).json()).toEqual({ route: 'admin' });
  });
});

describe('latchkeyErrorHandler', () => {
  it('answers a foreign error as 500 INTERNAL without its message', async () => {
    const app = new Hono();
    app.get('/boom', () => {
      throw new Error('secret detail');
    });
    app.onError(latchkeyErrorHandler());
    const response = await app.request('/boom');
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(JSON.parse(text)).toEqual({ code: 'INTERNAL', message: 'internal error' });
    expect(text).not.toContain('secret');
  });
});
