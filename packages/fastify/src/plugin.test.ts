import { adapterScenarios, policy, useTestApp } from '@latchkey/adapter-testkit';
import { createRoutePolicy } from '@latchkey/guards';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { startTestApp } from '../test/app.js';
import { identityOf, latchkeyPlugin } from './index.js';
import { routingPath } from './plugin.js';

const target = useTestApp(startTestApp);

adapterScenarios('latchkeyPlugin (fastify)', target);

describe('latchkeyPlugin', () => {
  it('refuses to start without a revocation check (TypeError)', async () => {
    const bare = Fastify();
    await expect(
      bare.register(latchkeyPlugin, { verifier: target.kit().verifier, policy } as never),
    ).rejects.toThrow(TypeError);
    await bare.close();
  });

  it('checks the full path under nested prefixes', async () => {
    const nested = Fastify();
    await nested.register(latchkeyPlugin, {
      verifier: target.kit().verifier,
      revocation: target.kit().registry,
      policy,
    });
    await nested.register(
      async (outer) => {
        await outer.register(
          async (inner) => {
            inner.get('/me', async (request) => ({ user: identityOf(request).userId }));
          },
          { prefix: '/me-not' },
        );
        outer.get('/me', async (request) => ({ user: identityOf(request).userId }));
      },
      { prefix: '/api' },
    );
    const token = await target.kit().login('nina', 'viewer');
    const headers = { authorization: `Bearer ${token}` };
    expect((await nested.inject({ url: '/api/me', headers })).statusCode).toBe(200);
    const inner = await nested.inject({ url: '/api/me-not/me', headers });
    expect([inner.statusCode, inner.json().code]).toEqual([403, 'FORBIDDEN']);
    await nested.close();
  });

  it('authorises a percent-encoded path as the route Fastify will run', async () => {
    const strict = createRoutePolicy([
      { method: 'GET', path: '/api/:id', minRole: 'viewer' },
      { method: 'GET', path: '/api/admin', minRole: 'admin' },
    ]);
    const encoded = Fastify();
    await encoded.register(latchkeyPlugin, {
      verifier: target.kit().verifier,
      revocation: target.kit().registry,
      policy: strict,
    });
    encoded.get('/api/admin', async () => ({ route: 'admin' }));
    encoded.get('/api/:id', async () => ({ route: 'id' }));
    const viewer = { authorization: `Bearer ${await target.kit().login('pat', 'viewer')}` };
    const admin = { authorization: `Bearer ${await target.kit().login('pat', 'admin')}` };
    const sneaky = await encoded.inject({ url: '/api/%61dmin', headers: viewer });
    expect([sneaky.statusCode, sneaky.json().code]).toEqual([403, 'FORBIDDEN']);
    expect((await encoded.inject({ url: '/api/%61dmin', headers: admin })).json()).toEqual({
      route: 'admin',
    });
    expect((await encoded.inject({ url: '/api/x%2Fy', headers: viewer })).statusCode).toBe(403);
    await encoded.close();
  });

  it('answers a foreign error as 500 INTERNAL without its message', async () => {
    const boom = Fastify();
    await boom.register(latchkeyPlugin, {
      verifier: target.kit().verifier,
      revocation: target.kit().registry,
      policy,
    });
    boom.get('/boom', { config: { latchkey: 'public' } }, async () => {
      throw new Error('secret detail');
    });
    const response = await boom.inject({ url: '/boom' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ code: 'INTERNAL', message: 'internal error' });
    expect(response.body).not.toContain('secret');
    await boom.close();
  });
});

describe('routingPath', () => {
  it('decodes unreserved escapes and keeps reserved ones, as find-my-way routes', () => {
    expect(routingPath('/api/%6De')).toBe('/api/me');
    expect(routingPath('/api/a%2Fb%3F%23%25')).toBe('/api/a%2Fb%3F%23%25');
    expect(routingPath('/api/%2561dmin')).toBe('/api/%2561dmin');
    expect(routingPath('/api/%E2%82%AC')).toBe('/api/€');
    expect(routingPath('/api/%E2%82')).toBe('/api/%E2%82');
  });
});
