/**
 * The framework adapters on loopback: one authenticated `GET /api/me` (Bearer access token, a cookie
 * beside it) through `@latchkey/express`, `@latchkey/fastify` and `@latchkey/hono`, each beside the same
 * framework with hand-written glue doing the same checks in the same order (header → cookie fallback,
 * ES256 verify, revocation check, Origin, route policy on the full path, JSON errors), and beside
 * `@fastify/jwt` / `hono/jwt` doing their weaker checks (the header's signature and `exp` only: no
 * cookie fallback, no revocation, no policy). Every server runs in this process; load comes from a
 * keep-alive `node:http` client with 16 requests in flight, the cases interleaved round by round.
 */
import { generateKeyPairSync } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastifyJwt from '@fastify/jwt';
import { createAdaptorServer } from '@hono/node-server';
import {
  identityOf as expressIdentityOf,
  latchkey as expressLatchkey,
  latchkeyErrorHandler,
} from '@latchkey/express';
import { identityOf as fastifyIdentityOf, latchkeyPlugin } from '@latchkey/fastify';
import { createRoutePolicy } from '@latchkey/guards';
import {
  latchkeyErrorHandler as honoErrorHandler,
  latchkey as honoLatchkey,
  type LatchkeyEnv,
} from '@latchkey/hono';
import { assertOrigin, authenticate, errorToHttp } from '@latchkey/http';
import { createRegistry } from '@latchkey/registry';
import { type AccessClaims, createAccessTokenIssuer, createAccessTokenVerifier } from '@latchkey/tokens';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { Hono } from 'hono';
import { jwt as honoJwt, sign as honoSign } from 'hono/jwt';
import { type Benchmark, compareThroughput, type Figure, plain, versus } from '../harness.js';

const ISSUER = 'bench-console';
const AUDIENCE = 'bench-console';
const IN_FLIGHT = 16;
const TARGET = '>= 0.90';
let sink = 0;

type Claims = AccessClaims<{ role: string }>;

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const issuer = createAccessTokenIssuer<{ role: string }>({ privateKey, issuer: ISSUER, audience: AUDIENCE });
const verifier = createAccessTokenVerifier<{ role: string }>({
  publicKey,
  issuer: ISSUER,
  audience: AUDIENCE,
});
// A real registry; without a bus its view is always live, so the check is the local table lookup that
// every request pays on a healthy instance. One other user is logged out, so the table is not empty.
const registry = createRegistry({ watermarkTtlMs: 3_600_000 });
await registry.revoke('mallory');
const revocation = registry;
const policy = createRoutePolicy([
  { method: 'GET', path: '/api/me', minRole: 'viewer' },
  { method: 'POST', path: '/api/gitops/sync', minRole: 'editor' },
]);
const options = { verifier, revocation, policy, queryTokenPaths: ['/api/events'] };

/** The checks of the adapters, written out by hand as a careful app without them would. */
const verifyAndCheck = async (token: string): Promise<Claims> => {
  const claims = await verifier.verify(token);
  await revocation.assertNotRevoked(claims.userId, claims.issuedAtMs);
  return claims;
};
const withQuery = { cookieName: 'latchkey_auth', allowQuery: true, verify: verifyAndCheck };
const withoutQuery = { cookieName: 'latchkey_auth', allowQuery: false, verify: verifyAndCheck };
async function handWritten(
  headers: Record<string, string | string[] | undefined>,
  method: string,
  url: string,
): Promise<Claims> {
  const question = url.indexOf('?');
  const path = question === -1 ? url : url.slice(0, question);
  const { identity, source } = await authenticate(
    { headers, url },
    path === '/api/events' ? withQuery : withoutQuery,
  );
  const origin = headers.origin;
  const host = headers.host;
  assertOrigin({
    origin: typeof origin === 'string' ? origin : undefined,
    host: typeof host === 'string' ? host : undefined,
    source,
    method,
  });
  policy.assert(method, path, identity.custom);
  return identity;
}

function expressApps(): { adapter: express.Express; glue: express.Express } {
  const adapter = express();
  const api = express.Router();
  api.use(expressLatchkey(options));
  api.get('/me', (_req, res) => {
    res.json({ user: expressIdentityOf(res).userId });
  });
  adapter.use('/api', api);
  adapter.use(latchkeyErrorHandler());

  const glue = express();
  const glueApi = express.Router();
  glueApi.use((req, res, next) => {
    handWritten(req.headers, req.method, req.originalUrl).then((identity) => {
      res.locals.identity = identity;
      next();
    }, next);
  });
  glueApi.get('/me', (_req, res) => {
    res.json({ user: (res.locals.identity as Claims).userId });
  });
  glue.use('/api', glueApi);
  glue.use(((error, _req, res, _next) => {
    const { status, headers, body } = errorToHttp(error);
    res.status(status).set(headers).send(body);
  }) as express.ErrorRequestHandler);
  return { adapter, glue };
}

async function fastifyApps(): Promise<Record<'adapter' | 'glue' | 'jwt', FastifyInstance>> {
  const adapter = Fastify();
  await adapter.register(latchkeyPlugin, options);
  adapter.register(
    async (api) => {
      api.get('/me', async (request) => ({ user: fastifyIdentityOf(request).userId }));
    },
    { prefix: '/api' },
  );

  const glue = Fastify();
  glue.decorateRequest('claims', null);
  glue.addHook('onRequest', async (request) => {
    (request as unknown as { claims: Claims }).claims = await handWritten(
      request.headers,
      request.method,
      request.url,
    );
  });
  glue.setErrorHandler((error, _request, reply) => {
    const { status, headers, body } = errorToHttp(error);
    return reply.code(status).headers(headers).send(body);
  });
  glue.register(
    async (api) => {
      api.get('/me', async (request) => ({ user: (request as unknown as { claims: Claims }).claims.userId }));
    },
    { prefix: '/api' },
  );

  const jwt = Fastify();
  await jwt.register(fastifyJwt, {
    secret: {
      private: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
      public: publicKey.export({ format: 'pem', type: 'spki' }) as string,
    },
    verify: { algorithms: ['ES256'], allowedIss: ISSUER, allowedAud: AUDIENCE },
  });
  jwt.addHook('onRequest', async (request) => {
    await request.jwtVerify();
  });
  jwt.register(
    async (api) => {
      api.get('/me', async (request) => ({ user: (request.user as { sub: string }).sub }));
    },
    { prefix: '/api' },
  );
  return { adapter, glue, jwt };
}

async function honoApps(): Promise<Record<'adapter' | 'glue' | 'jwt', Hono>> {
  const adapter = new Hono<LatchkeyEnv<Claims>>();
  const api = new Hono<LatchkeyEnv<Claims>>();
  api.use(honoLatchkey(options));
  api.get('/me', (c) => c.json({ user: c.get('identity').userId }));
  adapter.route('/api', api);
  adapter.onError(honoErrorHandler());

  const glue = new Hono<{ Variables: { claims: Claims } }>();
  const glueApi = new Hono<{ Variables: { claims: Claims } }>();
  glueApi.use(async (c, next) => {
    const headers: Record<string, string> = {};
    const authorization = c.req.header('authorization');
    const cookie = c.req.header('cookie');
    if (authorization !== undefined) headers.authorization = authorization;
    if (cookie !== undefined) headers.cookie = cookie;
    c.set('claims', await handWritten(headers, c.req.method, new URL(c.req.url).pathname));
    await next();
  });
  glueApi.get('/me', (c) => c.json({ user: c.get('claims').userId }));
  glue.route('/api', glueApi);
  glue.onError((error) => {
    const { status, headers, body } = errorToHttp(error);
    return new Response(body, { status, headers });
  });

  const jwk = publicKey.export({ format: 'jwk' });
  const jwtApp = new Hono();
  const jwtApi = new Hono();
  jwtApi.use(honoJwt({ secret: jwk as never, alg: 'ES256' }));
  jwtApi.get('/me', (c) => c.json({ user: (c.get('jwtPayload') as { sub: string }).sub }));
  jwtApp.route('/api', jwtApi);
  return { adapter: adapter as unknown as Hono, glue: glue as unknown as Hono, jwt: jwtApp };
}

async function listenNode(server: Server): Promise<URL> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/me`);
}

function get(agent: Agent, url: URL, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent, headers }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) reject(new Error(`${url.port}: status ${res.statusCode}`));
      res.on('data', (chunk: Buffer) => {
        sink += chunk.length;
      });
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

async function compare(
  framework: string,
  servers: Record<string, Server>,
  context: Parameters<Benchmark['run']>[0],
  weaker: string | undefined,
): Promise<Figure[]> {
  const { token } = issuer.issueSync('alice', { role: 'viewer' });
  const headers = {
    authorization: `Bearer ${token}`,
    cookie: `theme=dark; latchkey_auth=${token}`,
    host: '127.0.0.1',
  };
  // A plain `typ: JWT` ES256 token with the same key and claims, as both JWT plugins expect.
  const nowSeconds = Math.floor(Date.now() / 1000);
  const plainJwt = await honoSign(
    { iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: nowSeconds, exp: nowSeconds + 3600, role: 'viewer' },
    privateKey.export({ format: 'jwk' }) as never,
    'ES256',
  );
  const jwtHeaders = { ...headers, authorization: `Bearer ${plainJwt}` };
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  try {
    const urls: Record<string, URL> = {};
    for (const [name, server] of Object.entries(servers)) urls[name] = await listenNode(server);
    const cases = Object.fromEntries(
      Object.entries(urls).map(([name, url]) => [
        name,
        () => get(agent, url, name === 'jwt' ? jwtHeaders : headers),
      ]),
    );
    const rates = await compareThroughput(cases, context, { inFlight: IN_FLIGHT });
    const adapter = rates.adapter ?? Number.NaN;
    const figures: Figure[] = [
      plain(`${framework}: hand-written glue, same checks`, rates.glue ?? Number.NaN, 'req/s'),
      versus(
        `${framework}: @latchkey/${framework} adapter`,
        adapter,
        'req/s',
        {
          name: `${framework}: hand-written glue, same checks`,
          value: rates.glue ?? Number.NaN,
        },
        { target: TARGET },
      ),
    ];
    if (rates.control !== undefined) {
      // The same adapter app again, interleaved like the rest: the spread of this ratio around 1.00 is
      // the noise floor of every other ratio in the run.
      figures.push(
        versus(`${framework}: the adapter app again (A/A control)`, rates.control, 'req/s', {
          name: `${framework}: @latchkey/${framework} adapter`,
          value: adapter,
        }),
      );
    }
    if (weaker !== undefined && rates.jwt !== undefined) {
      figures.push(
        versus(`${framework}: ${weaker} (header signature + exp only)`, rates.jwt, 'req/s', {
          name: `${framework}: @latchkey/${framework} adapter`,
          value: adapter,
        }),
      );
    }
    return figures;
  } finally {
    agent.destroy();
    await Promise.all(
      Object.values(servers).map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
  }
}

const benchmarks: Benchmark[] = [
  {
    name: 'express authenticated request',
    async run(context) {
      const { adapter, glue } = expressApps();
      const control = expressApps().adapter;
      return compare(
        'express',
        { adapter: createServer(adapter), glue: createServer(glue), control: createServer(control) },
        context,
        undefined,
      );
    },
  },
  {
    name: 'fastify authenticated request',
    async run(context) {
      const spare = await fastifyApps();
      await Promise.all([spare.glue.close(), spare.jwt.close()]);
      const apps = { ...(await fastifyApps()), control: spare.adapter };
      await Promise.all(Object.values(apps).map((app) => app.ready()));
      const servers = Object.fromEntries(Object.entries(apps).map(([name, app]) => [name, app.server]));
      try {
        return await compare('fastify', servers, context, '@fastify/jwt');
      } finally {
        await Promise.all(Object.values(apps).map((app) => app.close()));
      }
    },
  },
  {
    name: 'hono authenticated request',
    async run(context) {
      const apps = { ...(await honoApps()), control: (await honoApps()).adapter };
      const servers = Object.fromEntries(
        Object.entries(apps).map(([name, app]) => [
          name,
          createAdaptorServer({ fetch: app.fetch }) as Server,
        ]),
      );
      const figures = await compare('hono', servers, context, 'hono/jwt');
      if (sink < 0) throw new Error('unreachable');
      return figures;
    },
  },
];

export default benchmarks;
