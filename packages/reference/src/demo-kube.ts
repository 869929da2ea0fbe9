/**
 * The demo's Kubernetes step: a router with caller identity (`LATCHKEY_KUBE_*`) in front of the
 * testkit's TLS API server, which speaks TokenReview and SubjectAccessReview as kube-apiserver does.
 * Runs from source only (`pnpm demo`): `@latchkey/testkit` is a dev dependency.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKubeApiServer } from '@latchkey/testkit';
import { readRouterConfig } from './config.js';
import { listen } from './listen.js';
import { silentLogger } from './log.js';
import { buildRouter } from './router/server.js';

/** What the demo's transcript helpers look like (demo.ts passes its own). */
export interface DemoKit {
  step(title: string): void;
  check(ok: boolean, what: string, detail?: string): void;
  call(
    url: string,
    init?: RequestInit,
  ): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;
}

const said = (result: { status: number; body: Record<string, unknown> }): string =>
  `${result.status}${typeof result.body.code === 'string' ? ` ${result.body.code}` : ''}`;

/**
 * Two service accounts call a router that reviews their tokens: `team-b/bob` is refused a session in
 * team-a (SubjectAccessReview says no), `team-a/alice` gets one, and alice's session is invisible to
 * bob (404), on invoke and on DELETE.
 *
 * @example
 * ```ts
 * await demoKube({ step, check, call });
 * ```
 */
export async function demoKube({ step, check, call }: DemoKit): Promise<void> {
  step('15. Callers are Kubernetes service accounts, reviewed by the API server (T10)');
  const kube = await startKubeApiServer();
  try {
    kube.createServiceAccount('latchkey', 'router');
    kube.grantReviewer('latchkey', 'router');
    const tokenFile = join(kube.dir, 'router-token');
    writeFileSync(tokenFile, kube.issueToken({ namespace: 'latchkey', serviceAccount: 'router' }));
    for (const [namespace, name] of [
      ['team-a', 'alice'],
      ['team-b', 'bob'],
    ] as const) {
      kube.createServiceAccount(namespace, name);
      kube.allow({
        user: `system:serviceaccount:${namespace}:${name}`,
        verbs: ['create'],
        apiGroups: ['agents.x-k8s.io'],
        resources: ['sandboxes'],
        namespace,
      });
    }
    const token = (namespace: string, name: string): string =>
      kube.issueToken({ namespace, serviceAccount: name, audiences: ['latchkey'] });
    const alice = { authorization: `Bearer ${token('team-a', 'alice')}` };
    const bob = { authorization: `Bearer ${token('team-b', 'bob')}` };

    const built = await buildRouter(
      readRouterConfig({
        LATCHKEY_KUBE_APISERVER: kube.url,
        LATCHKEY_KUBE_CA_FILE: kube.caFile,
        LATCHKEY_KUBE_TOKEN_FILE: tokenFile,
        LATCHKEY_KUBE_AUDIENCES: 'latchkey',
      }),
      silentLogger,
      { sweepIntervalMs: 0 },
    );
    const listening = await listen(built.app, { port: 0, log: silentLogger });
    try {
      const invoke = `${listening.url}/v1/namespaces/team-a/AgentRuntime/agent-1/invoke/whoami`;
      const anonymous = await call(invoke);
      check(anonymous.status === 401, 'no service-account token: refused', said(anonymous));

      const refused = await call(invoke, { headers: bob });
      check(
        refused.status === 403 && refused.headers.get('x-latchkey-session') === null,
        'team-b/bob may not create sandboxes in team-a: no session',
        said(refused),
      );

      const created = await call(invoke, { headers: alice });
      const id = created.headers.get('x-latchkey-session') ?? '';
      check(created.status === 200 && id !== '', 'team-a/alice gets a session in team-a', said(created));

      const withId = { 'x-latchkey-session': id };
      const stolen = await call(invoke, { headers: { ...bob, ...withId } });
      const stolenDelete = await call(`${listening.url}/v1/sessions/${id}`, {
        method: 'DELETE',
        headers: bob,
      });
      check(
        stolen.status === 404 && stolenDelete.status === 404,
        "alice's session is invisible to bob, on invoke and DELETE",
        `${said(stolen)}, ${said(stolenDelete)}`,
      );

      const again = await call(invoke, { headers: { ...alice, ...withId } });
      const deleted = await call(`${listening.url}/v1/sessions/${id}`, { method: 'DELETE', headers: alice });
      check(
        again.status === 200 && deleted.status === 204,
        'alice still uses it, then deletes it',
        `${said(again)}, ${said(deleted)}`,
      );
      const reviews = kube.counts();
      check(
        reviews.tokenReviews === 2 && reviews.subjectAccessReviews === 2,
        'two tokens, two TokenReviews (cached per token); two creations, two SubjectAccessReviews',
        `${reviews.tokenReviews} TokenReviews, ${reviews.subjectAccessReviews} SubjectAccessReviews`,
      );
    } finally {
      built.stop();
      await listening.close(500);
      await built.close();
    }
  } finally {
    await kube.close();
  }
}
