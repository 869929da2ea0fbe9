import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeCallerAuth, type KubeCallerAuth, kubeConfigFromEnv } from '../../src/index.js';
import { type KubeFixture, startFixture } from './fixture.js';

let fx: KubeFixture;
let auth: KubeCallerAuth;

beforeAll(async () => {
  fx = await startFixture();
  fx.kube.allow({
    user: 'system:serviceaccount:team-a:runner',
    verbs: ['create'],
    apiGroups: ['agents.x-k8s.io'],
    resources: ['sandboxes'],
    namespace: 'team-a',
  });
  fx.kube.allow({
    user: 'system:serviceaccount:team-a:runner',
    verbs: ['get'],
    apiGroups: [''],
    resources: ['serviceaccounts'],
    namespace: 'team-a',
  });
  const caFile = join(fx.kube.dir, 'ca.crt');
  writeFileSync(caFile, fx.kube.caPem);
  const config = kubeConfigFromEnv({
    LATCHKEY_KUBE_APISERVER: fx.kube.url,
    LATCHKEY_KUBE_CA_FILE: caFile,
    LATCHKEY_KUBE_TOKEN_FILE: fx.tokenFile,
    LATCHKEY_KUBE_AUDIENCES: 'latchkey,other',
  });
  if (config === undefined) throw new Error('config expected');
  auth = createKubeCallerAuth(config);
});
afterAll(async () => {
  auth.close();
  await fx.kube.close();
});

describe('createKubeCallerAuth', () => {
  it('authenticates a Bearer header and authorises a session creation in the caller namespace', async () => {
    const identity = await auth.authenticate(`Bearer ${fx.callerToken()}`);
    expect(identity).toMatchObject({
      uid: fx.callerUid,
      serviceAccount: { namespace: 'team-a', name: 'runner' },
    });
    await auth.authorizeSessionCreate(identity, { namespace: 'team-a', name: 'box-1' });
    expect(fx.kube.recorded().at(-1)?.body).toMatchObject({
      spec: {
        resourceAttributes: {
          verb: 'create',
          group: 'agents.x-k8s.io',
          resource: 'sandboxes',
          namespace: 'team-a',
          name: 'box-1',
        },
      },
    });
  });

  it('refuses a session creation in a namespace the caller may not create in with 403', async () => {
    const identity = await auth.authenticate(`Bearer ${fx.callerToken()}`);
    await expect(
      auth.authorizeSessionCreate(identity, { namespace: 'team-b', name: 'box-1' }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
      status: 403,
    });
  });

  it('answers 401 for a missing or non-Bearer header without calling the API server', async () => {
    const before = fx.kube.counts().tokenReviews;
    await expect(auth.authenticate(undefined)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'missing',
    });
    await expect(auth.authenticate('Basic eA==')).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'malformed',
    });
    await expect(auth.authenticate(['Bearer a.b.c', 'Bearer d.e.f'])).rejects.toMatchObject({
      reason: 'malformed',
    });
    expect(fx.kube.counts().tokenReviews).toBe(before);
  });

  it("calls the API server with the caller's own token: its RBAC, not the router's", async () => {
    // A token the API server accepts must carry its audience too; a latchkey-only token is 401 there.
    const both = fx.callerToken({ audiences: ['latchkey', ...fx.kube.apiAudiences] });
    const latchkeyOnly = await auth.requestAsCaller(fx.callerToken(), {
      method: 'GET',
      path: '/api/v1/namespaces/team-a/serviceaccounts/runner',
    });
    expect(latchkeyOnly.status).toBe(401);
    const own = await auth.requestAsCaller(both, {
      method: 'GET',
      path: '/api/v1/namespaces/team-a/serviceaccounts/runner',
    });
    expect(own.status).toBe(200);
    expect(JSON.parse(own.body.toString())).toMatchObject({
      kind: 'ServiceAccount',
      metadata: { uid: fx.callerUid },
    });
    // The router's own account may review tokens but may not read service accounts.
    const router = await auth.requestAsCaller(fx.reviewerToken, {
      method: 'GET',
      path: '/api/v1/namespaces/team-a/serviceaccounts/runner',
    });
    expect(router.status).toBe(403);
    expect(JSON.parse(router.body.toString())).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
    });
  });
});
