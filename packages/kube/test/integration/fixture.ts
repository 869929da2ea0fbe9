import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type KubeApiTestServer, startKubeApiServer } from '@latchkey/testkit';

/** One test API server with a reviewer service account (granted) and a caller in team-a with a pod. */
export interface KubeFixture {
  readonly kube: KubeApiTestServer;
  /** File holding the reviewer's token (the router's projected token). */
  readonly tokenFile: string;
  readonly reviewerToken: string;
  /** UID of team-a/runner. */
  readonly callerUid: string;
  /** A fresh pod-bound token of team-a/runner for audience `latchkey`. */
  callerToken(options?: { audiences?: readonly string[]; expiresInSeconds?: number }): string;
}

export const AUDIENCES: readonly string[] = ['latchkey'];

export async function startFixture(): Promise<KubeFixture> {
  const kube = await startKubeApiServer();
  kube.createServiceAccount('latchkey', 'router');
  kube.grantReviewer('latchkey', 'router');
  const caller = kube.createServiceAccount('team-a', 'runner');
  kube.createPod('team-a', 'runner-pod', 'runner');
  const reviewerToken = kube.issueToken({ namespace: 'latchkey', serviceAccount: 'router' });
  const tokenFile = join(kube.dir, 'reviewer-token');
  writeFileSync(tokenFile, reviewerToken);
  return {
    kube,
    tokenFile,
    reviewerToken,
    callerUid: caller.uid,
    callerToken: (options = {}) =>
      kube.issueToken({
        namespace: 'team-a',
        serviceAccount: 'runner',
        pod: 'runner-pod',
        audiences: options.audiences ?? AUDIENCES,
        ...(options.expiresInSeconds === undefined ? {} : { expiresInSeconds: options.expiresInSeconds }),
      }),
  };
}
