import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { KubeResponse } from './api-client.js';
import { parseServiceAccountUsername, readTokenReview } from './identity.js';

const VECTORS = new URL('../../../test-vectors/kube/', import.meta.url);
const golden = (name: string): Buffer => readFileSync(new URL(name, VECTORS));
const response = (status: number, body: Buffer | string, headers = {}): KubeResponse => ({
  status,
  headers,
  body: typeof body === 'string' ? Buffer.from(body) : body,
});
const NONE = new Set<string>();

describe('readTokenReview', () => {
  it('reads a pod-bound service account from the golden authenticated review', () => {
    const outcome = readTokenReview(
      response(201, golden('tokenreview-response-authenticated.json')),
      ['latchkey'],
      NONE,
    );
    expect(outcome).toMatchObject({
      ok: true,
      identity: {
        username: 'system:serviceaccount:team-a:runner',
        uid: '2c2b3c6e-8f0c-4b8a-9d6c-3f1f8a7c5e01',
        serviceAccount: { namespace: 'team-a', name: 'runner' },
        pod: { name: 'runner-7d9f8', uid: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' },
        groups: ['system:serviceaccounts', 'system:serviceaccounts:team-a', 'system:authenticated'],
        audiences: ['latchkey'],
      },
    });
  });

  it('refuses an unauthenticated review as invalid', () => {
    expect(
      readTokenReview(response(201, golden('tokenreview-response-unauthenticated.json')), ['latchkey'], NONE),
    ).toEqual({ ok: false, status: 401, reason: 'invalid' });
  });

  it.each(['tokenreview-response-no-audiences.json', 'tokenreview-response-other-audience.json'])(
    'refuses %s as a wrong audience (missing or empty counts as not intersecting)',
    (name) => {
      expect(readTokenReview(response(201, golden(name)), ['latchkey'], NONE)).toEqual({
        ok: false,
        status: 401,
        reason: 'audience',
      });
    },
  );

  it('refuses a user that is not a service account with 403', () => {
    expect(
      readTokenReview(response(201, golden('tokenreview-response-user.json')), ['latchkey'], NONE),
    ).toEqual({
      ok: false,
      status: 403,
      reason: 'not-service-account',
    });
  });

  it('accepts an explicitly listed admin principal', () => {
    const outcome = readTokenReview(
      response(201, golden('tokenreview-response-user.json')),
      ['latchkey'],
      new Set(['jane@example.com']),
    );
    expect(outcome).toMatchObject({
      ok: true,
      identity: { username: 'jane@example.com', serviceAccount: undefined },
    });
  });

  it.each([
    [401, 'status-401.json', 'reviewer-credential-refused'],
    [403, 'status-403.json', 'reviewer-credential-refused'],
    [429, 'status-429.json', 'rate-limited'],
    [500, 'status-500.json', 'server-error'],
    [503, 'status-500.json', 'server-error'],
    [404, 'status-500.json', 'bad-response'],
  ] as const)('maps HTTP %i to 502 %s', (status, name, reason) => {
    expect(() => readTokenReview(response(status, golden(name)), ['latchkey'], NONE)).toThrow(
      expect.objectContaining({ code: 'UPSTREAM_UNAVAILABLE', status: 502, reason }),
    );
  });

  it('carries Retry-After of a 429 as retryAfterSeconds', () => {
    expect(() =>
      readTokenReview(response(429, golden('status-429.json'), { 'retry-after': '3' }), ['latchkey'], NONE),
    ).toThrow(expect.objectContaining({ reason: 'rate-limited', retryAfterSeconds: 3 }));
  });

  it.each([
    ['not JSON', '<html>'],
    ['a wrong kind', JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Success' })],
    [
      'a wrong apiVersion',
      JSON.stringify({ kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1beta1', status: {} }),
    ],
    ['no status', JSON.stringify({ kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1' })],
    [
      'groups that are not strings',
      JSON.stringify({
        kind: 'TokenReview',
        apiVersion: 'authentication.k8s.io/v1',
        status: {
          authenticated: true,
          audiences: ['latchkey'],
          user: { username: 'system:serviceaccount:a:b', uid: 'u', groups: [1] },
        },
      }),
    ],
    [
      'a service account without uid',
      JSON.stringify({
        kind: 'TokenReview',
        apiVersion: 'authentication.k8s.io/v1',
        status: {
          authenticated: true,
          audiences: ['latchkey'],
          user: { username: 'system:serviceaccount:a:b' },
        },
      }),
    ],
  ])('maps %s to 502 bad-response', (_, body) => {
    expect(() => readTokenReview(response(201, body), ['latchkey'], NONE)).toThrow(
      expect.objectContaining({ code: 'UPSTREAM_UNAVAILABLE', reason: 'bad-response' }),
    );
  });
});

describe('parseServiceAccountUsername', () => {
  it('parses namespace and name', () => {
    expect(parseServiceAccountUsername('system:serviceaccount:team-a:runner.v2')).toEqual({
      namespace: 'team-a',
      name: 'runner.v2',
    });
  });

  it.each([
    'kubernetes-admin',
    'system:serviceaccount:',
    'system:serviceaccount:team-a',
    'system:serviceaccount::runner',
    'system:serviceaccount:Team:runner',
    'system:serviceaccount:team-a:run:ner',
    'system:serviceaccounts:team-a:runner',
    'system:node:node-1',
  ])('returns undefined for %j', (username) => {
    expect(parseServiceAccountUsername(username)).toBeUndefined();
  });
});
