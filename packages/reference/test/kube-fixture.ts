import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type KubeApiTestServer, type KubeObjectRef, startKubeApiServer } from '@latchkey/testkit';
import { readRouterConfig } from '../src/config.js';
import { listen } from '../src/listen.js';
import type { Logger } from '../src/log.js';
import type { KubeTuning } from '../src/router/kube-caller.js';
import { buildRouter } from '../src/router/server.js';

/** The audience callers' tokens carry for the router. */
export const AUDIENCE = 'latchkey';

/** A test API server with the router's reviewer account and three callers. */
export interface KubeRouterFixture {
  readonly kube: KubeApiTestServer;
  /** The router's projected token file (the granted reviewer's token). */
  readonly tokenFile: string;
  /** `team-a/alice` (may create sandboxes in team-a), `team-b/bob` (in team-b), `team-a/carol` (in team-a). */
  readonly accounts: {
    readonly alice: KubeObjectRef;
    readonly bob: KubeObjectRef;
    readonly carol: KubeObjectRef;
  };
  /** A fresh token of `team-<x>/<name>` for the router's audience (or `audiences`). */
  token(name: 'alice' | 'bob' | 'carol', options?: { pod?: string; audiences?: readonly string[] }): string;
  /** The environment that turns Kubernetes caller identity on, for `tokenFile`. */
  env(tokenFile?: string): Record<string, string>;
}

const NAMESPACE = { alice: 'team-a', bob: 'team-b', carol: 'team-a' } as const;

export async function startKubeRouterFixture(): Promise<KubeRouterFixture> {
  const kube = await startKubeApiServer();
  kube.createServiceAccount('latchkey', 'router');
  kube.grantReviewer('latchkey', 'router');
  const accounts = {
    alice: kube.createServiceAccount('team-a', 'alice'),
    bob: kube.createServiceAccount('team-b', 'bob'),
    carol: kube.createServiceAccount('team-a', 'carol'),
  };
  for (const [name, namespace] of Object.entries(NAMESPACE)) {
    kube.allow({
      user: `system:serviceaccount:${namespace}:${name}`,
      verbs: ['create'],
      apiGroups: ['agents.x-k8s.io'],
      resources: ['sandboxes'],
      namespace,
    });
  }
  const tokenFile = join(kube.dir, 'router-token');
  writeFileSync(tokenFile, kube.issueToken({ namespace: 'latchkey', serviceAccount: 'router' }));
  return {
    kube,
    tokenFile,
    accounts,
    token: (name, options = {}) =>
      kube.issueToken({
        namespace: NAMESPACE[name],
        serviceAccount: name,
        audiences: options.audiences ?? [AUDIENCE],
        ...(options.pod === undefined ? {} : { pod: options.pod }),
      }),
    env: (file = tokenFile) => ({
      LATCHKEY_KUBE_APISERVER: kube.url,
      LATCHKEY_KUBE_CA_FILE: kube.caFile,
      LATCHKEY_KUBE_TOKEN_FILE: file,
      LATCHKEY_KUBE_AUDIENCES: AUDIENCE,
    }),
  };
}

/** A router built from `env` and listening in this process; `close()` stops all of it. */
export interface InProcessRouter {
  readonly url: string;
  close(): Promise<void>;
}

export async function startInProcessRouter(
  env: Record<string, string>,
  log: Logger,
  kube: KubeTuning = {},
): Promise<InProcessRouter> {
  const built = await buildRouter(readRouterConfig(env), log, { sweepIntervalMs: 0, kube });
  const listening = await listen(built.app, { port: 0, log });
  return {
    url: listening.url,
    async close() {
      built.stop();
      await listening.close(200);
      await built.close();
    },
  };
}

/** A logger that keeps every line as its JSON text (to look for events and for leaked tokens). */
export function recordingLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const write =
    (level: string) =>
    (event: string, fields: Readonly<Record<string, unknown>> = {}): void => {
      lines.push(JSON.stringify({ level, event, ...fields }));
    };
  return { lines, info: write('info'), warn: write('warn'), error: write('error') };
}
