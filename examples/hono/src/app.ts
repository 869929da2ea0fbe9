import type { DefaultRole } from '@latchkey/guards';
import { type LatchkeyEnv, latchkey, latchkeyErrorHandler, notFoundHandler } from '@latchkey/hono';
import { clearAuthCookie, createEventStream, serializeAuthCookie } from '@latchkey/http';
import type { AccessClaims } from '@latchkey/tokens';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { validator } from 'hono/validator';
import { type Deps, parseLogin, policy, queryTokenPaths } from './dashboard.js';

type Env = LatchkeyEnv<AccessClaims<{ role: DefaultRole }>>;
const limit = bodyLimit({
  maxSize: 64 * 1024,
  onError: () => {
    throw new HTTPException(413);
  },
});
const json = validator('json', (value) => value);

/** The dashboard back end: login, logout everywhere, an event stream, a role-guarded POST. */
export function createApp({ issuer, verifier, registry, secureCookie }: Deps): Hono<Env> {
  const auth = latchkey({ verifier, revocation: registry, policy, queryTokenPaths });
  const app = new Hono<Env>();
  app.post('/auth/login', limit, json, async (c) => {
    const { user, role } = parseLogin(c.req.valid('json'));
    const { token, claims } = await issuer.issue(user, { role });
    const cookie = serializeAuthCookie(token, {
      expiresAtSeconds: claims.expiresAtSeconds,
      secure: secureCookie,
    });
    return c.json({ token }, 200, { 'set-cookie': cookie });
  });
  app.post('/auth/logout', auth, async (c) => {
    const cancelled = await registry.revoke(c.get('identity').userId);
    return c.json({ cancelled }, 200, { 'set-cookie': clearAuthCookie({ secure: secureCookie }) });
  });
  app.use('/api/*', auth);
  app.get('/api/events', async (c) => {
    const { userId, issuedAtMs } = c.get('identity');
    return createEventStream(await registry.register(userId, { issuedAtMs, kind: 'events' }));
  });
  app.post('/api/deploy', limit, json, (c) =>
    c.json({ accepted: true, by: c.get('identity').userId, body: c.req.valid('json') }, 202),
  );
  app.notFound(notFoundHandler());
  app.onError(latchkeyErrorHandler());
  return app;
}
