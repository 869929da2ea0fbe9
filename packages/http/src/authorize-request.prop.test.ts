import { fc, test } from '@fast-check/vitest';
import { createKit, type Kit } from '@latchkey/adapter-testkit';
import { createRoutePolicy, type DefaultRole } from '@latchkey/guards';
import { afterAll, beforeAll, expect } from 'vitest';
import { createRequestAuthorizer, pathOf } from './authorize-request.js';

// The authorizer decides nothing itself: for any method, path and role its answer is the route policy's
// decision on the full path, after authentication; without a credential it is always 401.
const ROLES = ['viewer', 'editor', 'admin'] as const;
const segment = fc.constantFrom('api', 'gitops', 'sync', 'events', 'me', '..', '%2e', '', 'x');
const method = fc.constantFrom('GET', 'POST', 'DELETE', 'HEAD');
const path = fc.array(segment, { minLength: 0, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
const policy = createRoutePolicy([
  { method: 'GET', path: '/api/me', minRole: 'viewer' },
  { method: 'GET', path: '/api/events', minRole: 'viewer' },
  { method: 'POST', path: '/api/gitops/**', minRole: 'editor' },
  { method: 'DELETE', path: '/api/:id', minRole: 'admin' },
]);

let kit: Kit;
const tokens = new Map<DefaultRole, string>();
beforeAll(async () => {
  kit = await createKit();
  for (const role of ROLES) tokens.set(role, await kit.login(`user-${role}`, role));
});
afterAll(async () => {
  await kit.close();
});

const facts = (m: string, p: string, headers: Record<string, string>) => ({
  headers,
  url: p,
  method: m,
  path: p,
  origin: undefined,
  host: '127.0.0.1',
});

test.prop([method, path, fc.constantFrom(...ROLES)], { numRuns: 200 })(
  'allows exactly what the route policy allows on the full path',
  async (m, p, role) => {
    const authorize = createRequestAuthorizer({ verifier: kit.verifier, revocation: kit.registry, policy });
    const decision = policy.decide(m, p, { role });
    const outcome = await authorize(facts(m, p, { authorization: `Bearer ${tokens.get(role)}` })).then(
      ({ identity }) => ({ allowed: true, user: identity.userId }),
      (error: { status?: number; code?: string }) => ({
        allowed: false,
        status: error.status,
        code: error.code,
      }),
    );
    if (decision.ok) expect(outcome).toEqual({ allowed: true, user: `user-${role}` });
    else expect(outcome).toEqual({ allowed: false, status: 403, code: decision.code });
  },
);

test.prop([method, path], { numRuns: 100 })(
  'answers 401 without a credential, whatever the path',
  async (m, p) => {
    const authorize = createRequestAuthorizer({ verifier: kit.verifier, revocation: kit.registry, policy });
    await expect(authorize(facts(m, p, {}))).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  },
);

test.prop([fc.string(), fc.string()])('pathOf drops the query and fragment and nothing else', (a, b) => {
  const base = a.replace(/[?#]/g, '');
  expect(pathOf(base)).toBe(base);
  expect(pathOf(`${base}?${b}`)).toBe(base);
  expect(pathOf(`${base}#${b}`)).toBe(base);
});
