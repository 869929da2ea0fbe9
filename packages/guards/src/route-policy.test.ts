import { describe, expect, it } from 'vitest';
import { createRoleLadder } from './role-ladder.js';
import { createRoutePolicy, type RouteRule } from './route-policy.js';

/** The console's table, from DESIGN.md. */
const CONSOLE: readonly RouteRule[] = [
  { method: 'POST', path: '/api/gitops/sync', minRole: 'editor' },
  { method: 'POST', path: '/api/gitops/helm/upgrade', minRole: 'editor' },
  { method: 'POST', path: '/api/gitops/helm/uninstall', minRole: 'editor' },
  { method: 'POST', path: '/api/gitops/helm/rollback', minRole: 'editor' },
  { method: 'POST', path: '/api/gitops/argocd/sync', minRole: 'editor' },
  { method: 'POST', path: '/api/gitops/detect-drift', minRole: 'viewer' },
  { method: 'GET', path: '/api/events', minRole: 'viewer' },
  { method: 'GET', path: '/api/exec', minRole: 'editor' },
];

const refusal = (code: string, status: number, reason: string) =>
  expect.objectContaining({ code, status, reason });

describe('createRoutePolicy', () => {
  const policy = createRoutePolicy(CONSOLE);

  it('applies the console table of DESIGN.md', () => {
    for (const { method, path, minRole } of CONSOLE) {
      expect(policy.minRoleFor(method, path)).toBe(minRole);
      expect(() => policy.assert(method as string, path, { role: 'admin' })).not.toThrow();
      expect(() => policy.assert(method as string, path, { role: minRole })).not.toThrow();
    }
    expect(() => policy.assert('POST', '/api/gitops/helm/upgrade', { role: 'viewer' })).toThrow(
      refusal('FORBIDDEN', 403, 'insufficient-role'),
    );
    expect(() => policy.assert('GET', '/api/exec', { role: 'viewer' })).toThrow(
      refusal('FORBIDDEN', 403, 'insufficient-role'),
    );
    expect(policy.decide('POST', '/api/gitops/detect-drift', { role: 'viewer' })).toEqual({
      ok: true,
      role: 'viewer',
    });
  });

  it.each([
    ['GET', '/api/gitops/sync'],
    ['HEAD', '/api/events'],
    ['get', '/api/events'],
    ['POST', '/api/gitops'],
    ['POST', '/api/gitops/sync/'],
    ['POST', '/api/gitops//sync'],
    ['POST', '/api/gitops/sync?x=1'],
    ['POST', '/API/gitops/sync'],
    ['POST', '/api/gitops/%73ync'],
    ['POST', 'api/gitops/sync'],
    ['DELETE', '/v1/sessions/abc'],
    ['GET', '/'],
    ['GET', ''],
  ])('denies the unlisted route %s %s with FORBIDDEN no-policy, even for an admin', (method, path) => {
    expect(() => policy.assert(method, path, { role: 'admin' })).toThrow(
      refusal('FORBIDDEN', 403, 'no-policy'),
    );
  });

  it('checks authentication before the policy, as the console does', () => {
    expect(() => policy.assert('POST', '/api/gitops/sync', null)).toThrow(
      refusal('UNAUTHENTICATED', 401, 'missing'),
    );
    expect(() => policy.assert('GET', '/nowhere', undefined)).toThrow(
      refusal('UNAUTHENTICATED', 401, 'missing'),
    );
  });

  it('refuses unknown roles and unreadable roles on listed routes', () => {
    expect(() => policy.assert('GET', '/api/events', { role: 'guest' })).toThrow(
      refusal('FORBIDDEN', 403, 'unknown-role'),
    );
    const unreadable = new Proxy(
      { role: 'admin' },
      {
        get() {
          throw new Error('boom');
        },
      },
    );
    expect(() => policy.assert('GET', '/api/events', unreadable)).toThrow(
      refusal('ROLE_LOOKUP_FAILED', 500, 'lookup-failed'),
    );
  });

  it('decides for non-string methods and paths without throwing', () => {
    expect(policy.decide(undefined, 42, { role: 'admin' })).toEqual({
      ok: false,
      code: 'FORBIDDEN',
      reason: 'no-policy',
    });
    expect(policy.minRoleFor(null, '/api/events')).toBeUndefined();
  });
});

describe('createRoutePolicy patterns', () => {
  const policy = createRoutePolicy([
    { method: ['GET', 'HEAD'], path: '/v1/sessions/:id', minRole: 'viewer' },
    { method: 'DELETE', path: '/v1/sessions/*', minRole: 'admin' },
    { method: 'POST', path: '/v1/namespaces/:ns/:kind/:name/invoke/**', minRole: 'editor' },
    { method: 'GET', path: '/', minRole: 'viewer' },
  ]);

  it('matches :param and * against exactly one non-empty segment', () => {
    expect(policy.minRoleFor('GET', '/v1/sessions/abc')).toBe('viewer');
    expect(policy.minRoleFor('HEAD', '/v1/sessions/abc')).toBe('viewer');
    expect(policy.minRoleFor('DELETE', '/v1/sessions/abc')).toBe('admin');
    expect(policy.minRoleFor('GET', '/v1/sessions')).toBeUndefined();
    expect(policy.minRoleFor('GET', '/v1/sessions/abc/def')).toBeUndefined();
    expect(policy.minRoleFor('GET', '/v1/sessions/')).toBeUndefined();
  });

  it('matches ** against one or more trailing segments', () => {
    expect(policy.minRoleFor('POST', '/v1/namespaces/a/AgentRuntime/b/invoke/x')).toBe('editor');
    expect(policy.minRoleFor('POST', '/v1/namespaces/a/AgentRuntime/b/invoke/x/y/z')).toBe('editor');
    expect(policy.minRoleFor('POST', '/v1/namespaces/a/AgentRuntime/b/invoke')).toBeUndefined();
  });

  it('matches the root only for /', () => {
    expect(policy.minRoleFor('GET', '/')).toBe('viewer');
  });

  it.each([
    '/v1/namespaces/a/k/b/invoke/../../../../sessions/x',
    '/v1/namespaces/a/k/b/invoke/%2e%2e',
    '/v1/namespaces/a/k/b/invoke/x%2Fy',
    '/v1/namespaces/a/k/b/invoke/x%5Cy',
    '/v1/namespaces/a/k/b/invoke/x\\y',
    '/v1/namespaces/a/k/b/invoke/%E0%A4%A',
    '/v1/namespaces/a/k/b/invoke/./x',
    '/v1/namespaces/a/k/b/invoke/x#frag',
  ])('denies the non-canonical path %s', (path) => {
    expect(policy.decide('POST', path, { role: 'admin' })).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'no-policy',
    });
  });

  it('applies the most restrictive of several matching rules, whatever their order', () => {
    const rules: RouteRule[] = [
      { method: 'GET', path: '/api/**', minRole: 'admin' },
      { method: 'GET', path: '/api/events', minRole: 'viewer' },
      { method: 'GET', path: '/api/:anything', minRole: 'editor' },
    ];
    for (const ordered of [rules, [...rules].reverse()]) {
      const table = createRoutePolicy(ordered);
      expect(table.minRoleFor('GET', '/api/events')).toBe('admin');
      expect(table.decide('GET', '/api/events', { role: 'editor' })).toMatchObject({
        reason: 'insufficient-role',
      });
    }
  });

  it('works on a custom ladder', () => {
    const ladder = createRoleLadder(['reader', 'owner']);
    const table = createRoutePolicy([{ method: 'GET', path: '/x', minRole: 'owner' }], { ladder });
    expect(table.decide('GET', '/x', { role: 'owner' })).toEqual({ ok: true, role: 'owner' });
    expect(table.decide('GET', '/x', { role: 'admin' })).toMatchObject({ reason: 'unknown-role' });
  });
});

describe('createRoutePolicy rule validation', () => {
  it.each([
    [{ method: 'get', path: '/x', minRole: 'viewer' }],
    [{ method: [], path: '/x', minRole: 'viewer' }],
    [{ method: 'GET', path: 'x', minRole: 'viewer' }],
    [{ method: 'GET', path: '/x//y', minRole: 'viewer' }],
    [{ method: 'GET', path: '/x/', minRole: 'viewer' }],
    [{ method: 'GET', path: '/x/../y', minRole: 'viewer' }],
    [{ method: 'GET', path: '/x?y', minRole: 'viewer' }],
    [{ method: 'GET', path: '/x%2F', minRole: 'viewer' }],
    [{ method: 'GET', path: '/**/x', minRole: 'viewer' }],
    [{ method: 'GET', path: '/x', minRole: 'root' }],
    [null],
  ])('throws TypeError for the rule %j', (rule) => {
    expect(() => createRoutePolicy([rule as RouteRule])).toThrow(TypeError);
  });

  it('throws TypeError for a method and path listed twice', () => {
    expect(() =>
      createRoutePolicy([
        { method: 'GET', path: '/x', minRole: 'viewer' },
        { method: ['POST', 'GET'], path: '/x', minRole: 'admin' },
      ]),
    ).toThrow(TypeError);
  });

  it('denies everything with an empty table', () => {
    expect(createRoutePolicy([]).decide('GET', '/', { role: 'admin' })).toMatchObject({
      reason: 'no-policy',
    });
  });
});
