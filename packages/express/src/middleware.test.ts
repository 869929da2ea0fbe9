import { adapterScenarios, baseUrl, closeServer, policy, useTestApp } from '@latchkey/adapter-testkit';
import { createRoutePolicy } from '@latchkey/guards';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { listen, startTestApp } from '../test/app.js';
import { identityOf, latchkey, latchkeyErrorHandler } from './index.js';

const target = useTestApp(startTestApp);

adapterScenarios('latchkey (express)', target);

describe('latchkey', () => {
  it('throws a TypeError for missing ports', () => {
    expect(() => latchkey({ verifier: target.kit().verifier, policy } as never)).toThrow(TypeError);
    expect(() =>
      latchkey({
        verifier: target.kit().verifier,
        revocation: target.kit().registry,
        policy,
        queryTokenPaths: ['api'],
      }),
    ).toThrow(TypeError);
  });

  it('checks the full path under nested mount points', async () => {
    const auth = latchkey({ verifier: target.kit().verifier, revocation: target.kit().registry, policy });
    const app = express();
    const inner = express.Router();
    inner.get('/me', (_req, res) => {
      res.json({ user: identityOf(res).userId });
    });
    const outer = express.Router();
    outer.use(auth, inner);
    app.use('/api', outer);
    app.use(latchkeyErrorHandler());
    const nested = await listen(app);
    try {
      const token = await target.kit().login('nina', 'viewer');
      const response = await fetch(`${baseUrl(nested)}/api/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(200);
    } finally {
      await closeServer(nested);
    }
  });
});

describe('latchkey on percent-encoded paths', () => {
  it('authorises the path as the route Express will run', async () => {
    const strict = createRoutePolicy([
      { method: 'GET', path: '/api/:id', minRole: 'viewer' },
      { method: 'GET', path: '/api/admin', minRole: 'admin' },
    ]);
    const app = express();
    const api = express.Router();
    api.use(latchkey({ verifier: target.kit().verifier, revocation: target.kit().registry, policy: strict }));
    api.get('/admin', (_req, res) => {
      res.json({ route: 'admin' });
    });
    api.get('/:id', (_req, res) => {
      res.json({ route: 'id' });
    });
    app.use('/api', api);
    app.use(latchkeyErrorHandler());
    const encoded = await listen(app);
    try {
      const viewer = { authorization: `Bearer ${await target.kit().login('pat', 'viewer')}` };
      const response = await fetch(`${baseUrl(encoded)}/api/%61dmin`, { headers: viewer });
      const body = (await response.json()) as { route?: string; code?: string };
      // Express matches the raw path, as the policy reads it: `/:id` runs (id = 'admin'), never `/admin`.
      expect([response.status, body.route]).toEqual([200, 'id']);
    } finally {
      await closeServer(encoded);
    }
  });
});

describe('latchkeyErrorHandler', () => {
  it('answers a foreign error as 500 INTERNAL without its message', async () => {
    const app = express();
    app.get('/boom', () => {
      throw new Error('secret detail');
    });
    app.use(latchkeyErrorHandler());
    const boom = await listen(app);
    try {
      const response = await fetch(`${baseUrl(boom)}/boom`);
      const text = await response.text();
      expect(response.status).toBe(500);
      expect(JSON.parse(text)).toEqual({ code: 'INTERNAL', message: 'internal error' });
      expect(text).not.toContain('secret');
    } finally {
      await closeServer(boom);
    }
  });
});
