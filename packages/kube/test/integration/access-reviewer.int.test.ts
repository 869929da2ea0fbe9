import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AccessReviewerOptions,
  createAccessReviewer,
  createKubeApiClient,
  createTokenReviewer,
  type KubeApiClient,
  type KubeIdentity,
} from '../../src/index.js';
import { AUDIENCES, type KubeFixture, startFixture } from './fixture.js';

let fx: KubeFixture;
let client: KubeApiClient;
let identity: KubeIdentity;
const open: Array<{ close(): void }> = [];
const CREATE_IN_A = {
  verb: 'create',
  group: 'agents.x-k8s.io',
  resource: 'sandboxes',
  namespace: 'team-a',
  name: 'box-1',
};

beforeAll(async () => {
  fx = await startFixture();
  client = createKubeApiClient({ apiServer: fx.kube.url, ca: fx.kube.caPem, timeoutMs: 1_000 });
  fx.kube.allow({
    user: 'system:serviceaccount:team-a:runner',
    verbs: ['create'],
    apiGroups: ['agents.x-k8s.io'],
    resources: ['sandboxes'],
    namespace: 'team-a',
  });
  const tokens = createTokenReviewer({ client, credential: () => fx.reviewerToken, audiences: AUDIENCES });
  identity = await tokens.review(fx.callerToken());
});
afterAll(async () => {
  client.close();
  await fx.kube.close();
});
afterEach(() => {
  for (const item of open.splice(0)) item.close();
  fx.kube.clearFaults();
  fx.kube.resetCounts();
});

function reviewer(options: Partial<AccessReviewerOptions> = {}) {
  const created = createAccessReviewer({
    client,
    credential: () => fx.reviewerToken,
    ...options,
  } as AccessReviewerOptions);
  open.push(created);
  return created;
}

const accessReviews = (): number => fx.kube.counts().subjectAccessReviews;

describe('createAccessReviewer', () => {
  it('resolves when RBAC allows, asking with the reviewed user, uid, groups and extra', async () => {
    await reviewer().check(identity, CREATE_IN_A);
    expect(fx.kube.recorded().at(-1)).toMatchObject({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          resourceAttributes: CREATE_IN_A,
          user: 'system:serviceaccount:team-a:runner',
          uid: fx.callerUid,
          groups: identity.groups,
          extra: identity.extra,
        },
      },
    });
  });

  it('throws 403 FORBIDDEN access-denied when RBAC says no', async () => {
    await expect(reviewer().check(identity, { ...CREATE_IN_A, namespace: 'team-b' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      status: 403,
      reason: 'access-denied',
    });
  });

  it('reuses an allow for allowTtlMs (10 s) and a deny for denyTtlMs (2 s), never sliding', async () => {
    let nowMs = 0;
    const access = reviewer({ now: () => nowMs });
    await access.check(identity, CREATE_IN_A);
    nowMs = 9_999;
    await access.check(identity, CREATE_IN_A);
    expect(accessReviews()).toBe(1);
    nowMs = 10_000;
    await access.check(identity, CREATE_IN_A);
    expect(accessReviews()).toBe(2);

    const denied = { ...CREATE_IN_A, namespace: 'team-b' };
    await expect(access.check(identity, denied)).rejects.toMatchObject({ status: 403 });
    nowMs += 1_999;
    await expect(access.check(identity, denied)).rejects.toMatchObject({ status: 403 });
    expect(accessReviews()).toBe(3);
    nowMs += 1;
    await expect(access.check(identity, denied)).rejects.toMatchObject({ status: 403 });
    expect(accessReviews()).toBe(4);
  });

  it('sees a revoked grant once the allow expired', async () => {
    let nowMs = 0;
    const access = reviewer({ now: () => nowMs });
    fx.kube.allow({
      user: identity.username,
      verbs: ['create'],
      apiGroups: ['agents.x-k8s.io'],
      resources: ['sandboxes'],
      namespace: 'team-c',
    });
    await access.check(identity, { ...CREATE_IN_A, namespace: 'team-c' });
    fx.kube.revokeUser(identity.username);
    nowMs = 10_000;
    await expect(access.check(identity, { ...CREATE_IN_A, namespace: 'team-c' })).rejects.toMatchObject({
      status: 403,
    });
    fx.kube.allow({
      user: identity.username,
      verbs: ['create'],
      apiGroups: ['agents.x-k8s.io'],
      resources: ['sandboxes'],
      namespace: 'team-a',
    });
  });

  it('shares one SubjectAccessReview among concurrent identical questions', async () => {
    fx.kube.fault({ type: 'latency', ms: 50 });
    const access = reviewer();
    await Promise.all(Array.from({ length: 50 }, () => access.check(identity, CREATE_IN_A)));
    expect(accessReviews()).toBe(1);
  });

  it.each([
    [{ type: 'internal-error' } as const, 'server-error'],
    [{ type: 'too-many-requests', retryAfterSeconds: 1 } as const, 'rate-limited'],
    [{ type: 'garbage' } as const, 'bad-response'],
    [{ type: 'wrong-kind' } as const, 'bad-response'],
    [
      {
        type: 'respond',
        status: 201,
        body: { kind: 'SubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', status: {} },
      } as const,
      'bad-response',
    ],
  ])('throws 502 for %o (%s) and does not cache it', async (fault, reason) => {
    const access = reviewer();
    fx.kube.fault(fault);
    await expect(access.check(identity, CREATE_IN_A)).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      status: 502,
      reason,
    });
    await access.check(identity, CREATE_IN_A);
    expect(accessReviews()).toBe(2);
  });

  it('throws 502 reviewer-credential-refused when our service account may not create subjectaccessreviews', async () => {
    fx.kube.createServiceAccount('latchkey', 'tokenreviews-only');
    fx.kube.allow({
      user: 'system:serviceaccount:latchkey:tokenreviews-only',
      verbs: ['create'],
      apiGroups: ['authentication.k8s.io'],
      resources: ['tokenreviews'],
    });
    const token = fx.kube.issueToken({ namespace: 'latchkey', serviceAccount: 'tokenreviews-only' });
    await expect(reviewer({ credential: () => token }).check(identity, CREATE_IN_A)).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      reason: 'reviewer-credential-refused',
    });
  });

  it('throws a TypeError for a question without verb, group or resource', async () => {
    await expect(reviewer().check(identity, { ...CREATE_IN_A, verb: '' })).rejects.toThrow(TypeError);
  });
});
