import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ApiException,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeApiTestServer, startKubeApiServer } from '../../src/index.js';
import { requireBinary } from '../../src/process.js';

const execFileAsync = promisify(execFile);
const VECTORS = new URL('../../../../test-vectors/kube/', import.meta.url);
const golden = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(name, VECTORS), 'utf8'));

/** The structure of a JSON value: keys and value types, recursively; values themselves are ignored. */
function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((key) => [key, shapeOf((value as Record<string, unknown>)[key])]),
    );
  }
  return typeof value;
}

let kube: KubeApiTestServer;
let reviewerToken: string;
let callerToken: string;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}
function call(method: string, path: string, bearer: string | undefined, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port: kube.port,
        method,
        path,
        ca: kube.caPem,
        headers: {
          ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
const json = (answer: Answer): Record<string, unknown> => JSON.parse(answer.body);
const tokenReviewOf = (token: string, audiences = ['latchkey']) => ({
  apiVersion: 'authentication.k8s.io/v1',
  kind: 'TokenReview',
  spec: { token, audiences },
});

beforeAll(async () => {
  kube = await startKubeApiServer();
  kube.createServiceAccount('latchkey', 'router');
  kube.grantReviewer('latchkey', 'router');
  kube.createServiceAccount('team-a', 'runner');
  kube.createPod('team-a', 'runner-7d9f8', 'runner');
  kube.allow({
    user: 'system:serviceaccount:team-a:runner',
    verbs: ['create'],
    apiGroups: ['agents.x-k8s.io'],
    resources: ['sandboxes'],
    namespace: 'team-a',
  });
  reviewerToken = kube.issueToken({ namespace: 'latchkey', serviceAccount: 'router' });
  callerToken = kube.issueToken({
    namespace: 'team-a',
    serviceAccount: 'runner',
    pod: 'runner-7d9f8',
    audiences: ['latchkey'],
  });
});
afterAll(async () => {
  await kube.close();
});

describe('startKubeApiServer', () => {
  describe('TokenReview, as the golden vectors shape it', () => {
    it('accepts the golden request and answers 201 with the shape of the authenticated golden', async () => {
      const body = {
        ...golden('tokenreview-request.json'),
        spec: { token: callerToken, audiences: ['latchkey'] },
      };
      const answer = await call('POST', '/apis/authentication.k8s.io/v1/tokenreviews', reviewerToken, body);
      expect(answer.status).toBe(201);
      expect(answer.headers['content-type']).toBe('application/json');
      expect(shapeOf(json(answer))).toEqual(shapeOf(golden('tokenreview-response-authenticated.json')));
      expect(json(answer)).toMatchObject({
        status: {
          authenticated: true,
          user: { username: 'system:serviceaccount:team-a:runner' },
          audiences: ['latchkey'],
        },
      });
    });

    it('answers the unauthenticated golden shape for a token of another audience, with the reason', async () => {
      const answer = await call(
        'POST',
        '/apis/authentication.k8s.io/v1/tokenreviews',
        reviewerToken,
        tokenReviewOf(callerToken, ['other']),
      );
      expect(shapeOf(json(answer))).toEqual(shapeOf(golden('tokenreview-response-unauthenticated.json')));
      expect(String((json(answer).status as { error: string }).error)).toContain('audiences');
    });

    it('reviews tokens of a deleted pod or service account as unauthenticated', async () => {
      kube.createServiceAccount('team-z', 'gone');
      kube.createPod('team-z', 'pod-z', 'gone');
      const bound = kube.issueToken({
        namespace: 'team-z',
        serviceAccount: 'gone',
        pod: 'pod-z',
        audiences: ['latchkey'],
      });
      const review = async (): Promise<unknown> =>
        (
          json(
            await call(
              'POST',
              '/apis/authentication.k8s.io/v1/tokenreviews',
              reviewerToken,
              tokenReviewOf(bound),
            ),
          ).status as {
            authenticated?: boolean;
          }
        ).authenticated;
      expect(await review()).toBe(true);
      kube.deletePod('team-z', 'pod-z');
      expect(await review()).toBeUndefined();
      kube.createPod('team-z', 'pod-z', 'gone'); // same name, new uid: the old token stays refused
      expect(await review()).toBeUndefined();
    });

    it('answers the golden 401 Status for a bad reviewer credential, and the golden 403 without RBAC', async () => {
      const unauthorized = await call(
        'POST',
        '/apis/authentication.k8s.io/v1/tokenreviews',
        'a.b.c',
        tokenReviewOf(callerToken),
      );
      expect(unauthorized.status).toBe(401);
      expect(json(unauthorized)).toEqual(golden('status-401.json'));
      kube.revokeUser('system:serviceaccount:latchkey:router');
      try {
        const forbidden = await call(
          'POST',
          '/apis/authentication.k8s.io/v1/tokenreviews',
          reviewerToken,
          tokenReviewOf(callerToken),
        );
        expect(forbidden.status).toBe(403);
        expect(json(forbidden)).toEqual(golden('status-403.json'));
      } finally {
        kube.grantReviewer('latchkey', 'router');
      }
    });
  });

  describe('SubjectAccessReview', () => {
    it('allows by its RBAC rules, in the shape of the golden answers', async () => {
      const body = golden('subjectaccessreview-request.json');
      const allowed = await call(
        'POST',
        '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        reviewerToken,
        body,
      );
      expect(allowed.status).toBe(201);
      expect(shapeOf(json(allowed))).toEqual(shapeOf(golden('subjectaccessreview-response-allowed.json')));
      const spec = body.spec as { resourceAttributes: object };
      const denied = await call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', reviewerToken, {
        ...body,
        spec: { ...spec, resourceAttributes: { ...spec.resourceAttributes, namespace: 'team-b' } },
      });
      expect(json(denied).status).toEqual(golden('subjectaccessreview-response-denied.json').status);
    });

    it('answers 422 Invalid for a review with neither user nor groups', async () => {
      const answer = await call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', reviewerToken, {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { resourceAttributes: { verb: 'get', resource: 'pods' } },
      });
      expect(answer.status).toBe(422);
      expect(json(answer)).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
    });
  });

  describe('service-account issuer discovery', () => {
    it('serves the OpenID configuration and a JWKS holding the key that signed the tokens', async () => {
      const config = json(await call('GET', '/.well-known/openid-configuration', undefined));
      expect(config).toMatchObject({
        issuer: kube.issuer,
        jwks_uri: `${kube.issuer}/openid/v1/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
      });
      const jwksAnswer = await call('GET', '/openid/v1/jwks', undefined);
      expect(jwksAnswer.headers['content-type']).toBe('application/jwk-set+json');
      const { keys } = json(jwksAnswer) as {
        keys: Array<{ kid: string; kty: string; use: string; alg: string }>;
      };
      const header = JSON.parse(Buffer.from(callerToken.split('.')[0] as string, 'base64url').toString());
      expect(keys.find((key) => key.kid === header.kid)).toMatchObject({
        kty: 'RSA',
        use: 'sig',
        alg: 'RS256',
      });
      expect(keys.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
    });

    it('signs tokens with the kubernetes.io claims of a projected, pod-bound token', () => {
      const claims = JSON.parse(Buffer.from(callerToken.split('.')[1] as string, 'base64url').toString());
      expect(claims).toMatchObject({
        aud: ['latchkey'],
        iss: kube.issuer,
        sub: 'system:serviceaccount:team-a:runner',
        'kubernetes.io': {
          namespace: 'team-a',
          pod: { name: 'runner-7d9f8' },
          serviceaccount: { name: 'runner' },
          node: { name: 'node-1' },
        },
      });
      expect(claims.exp - claims.iat).toBe(3600);
    });
  });

  describe('faults and counters', () => {
    it('injects latency, 429 with Retry-After, 500, reset, garbage and a wrong kind, then answers normally', async () => {
      const path = '/apis/authentication.k8s.io/v1/tokenreviews';
      kube.resetCounts();
      kube.fault({ type: 'too-many-requests', retryAfterSeconds: 1 }, { scope: 'tokenreviews' });
      const throttled = await call('POST', path, reviewerToken, tokenReviewOf(callerToken));
      expect(throttled.status).toBe(429);
      expect(throttled.headers['retry-after']).toBe('1');
      expect(json(throttled)).toEqual(golden('status-429.json'));

      kube.fault({ type: 'internal-error' });
      const failed = await call('POST', path, reviewerToken, tokenReviewOf(callerToken));
      expect(failed.status).toBe(500);
      expect(shapeOf(json(failed))).toEqual(shapeOf(golden('status-500.json')));

      kube.fault({ type: 'reset' });
      await expect(call('POST', path, reviewerToken, tokenReviewOf(callerToken))).rejects.toMatchObject({
        code: 'ECONNRESET',
      });

      kube.fault({ type: 'garbage' });
      const garbage = await call('POST', path, reviewerToken, tokenReviewOf(callerToken));
      expect(() => JSON.parse(garbage.body)).toThrow();

      kube.fault({ type: 'wrong-kind' });
      expect(json(await call('POST', path, reviewerToken, tokenReviewOf(callerToken))).kind).toBe('Status');

      kube.fault({ type: 'latency', ms: 200 });
      const started = performance.now();
      expect((await call('POST', path, reviewerToken, tokenReviewOf(callerToken))).status).toBe(201);
      expect(performance.now() - started).toBeGreaterThanOrEqual(190);

      // A fault scoped to access reviews leaves token reviews alone.
      kube.fault({ type: 'internal-error' }, { scope: 'subjectaccessreviews' });
      expect((await call('POST', path, reviewerToken, tokenReviewOf(callerToken))).status).toBe(201);
      kube.clearFaults();
      expect(kube.counts()).toMatchObject({ tokenReviews: 7, subjectAccessReviews: 0 });
    });
  });

  describe('real clients talk to it unchanged', () => {
    const kubeConfig = (token: string): KubeConfig => {
      const config = new KubeConfig();
      config.loadFromOptions({
        clusters: [{ name: 'testkit', server: kube.url, caData: Buffer.from(kube.caPem).toString('base64') }],
        users: [{ name: 'router', token }],
        contexts: [{ name: 'testkit', cluster: 'testkit', user: 'router' }],
        currentContext: 'testkit',
      });
      return config;
    };

    it('@kubernetes/client-node 1.4: createTokenReview and createSubjectAccessReview', async () => {
      const config = kubeConfig(reviewerToken);
      const authn = config.makeApiClient(AuthenticationV1Api);
      const review = await authn.createTokenReview({
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token: callerToken, audiences: ['latchkey'] },
        },
      });
      expect(review.status).toMatchObject({
        authenticated: true,
        audiences: ['latchkey'],
        user: { username: 'system:serviceaccount:team-a:runner' },
      });
      expect(review.status?.user?.extra?.['authentication.kubernetes.io/pod-name']).toEqual(['runner-7d9f8']);

      const authz = config.makeApiClient(AuthorizationV1Api);
      const access = await authz.createSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: 'system:serviceaccount:team-a:runner',
            groups: ['system:serviceaccounts'],
            resourceAttributes: {
              verb: 'create',
              group: 'agents.x-k8s.io',
              resource: 'sandboxes',
              namespace: 'team-a',
              name: 'box',
            },
          },
        },
      });
      expect(access.status?.allowed).toBe(true);
    });

    it('@kubernetes/client-node 1.4: a refused credential surfaces as ApiException 401, missing RBAC as 403 with the Status body', async () => {
      const bad = kubeConfig('a.b.c').makeApiClient(AuthenticationV1Api);
      const error = await bad
        .createTokenReview({
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: callerToken } },
        })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ApiException);
      // client-node maps a 401 to ApiException(401, 'Unauthorized') and drops the body.
      expect((error as ApiException<string>).code).toBe(401);

      const core = kubeConfig(reviewerToken).makeApiClient(CoreV1Api);
      const forbidden = await core
        .readNamespacedServiceAccount({ name: 'runner', namespace: 'team-a' })
        .catch((caught: unknown) => caught);
      expect(forbidden).toBeInstanceOf(ApiException);
      expect((forbidden as ApiException<unknown>).code).toBe(403);
      const body = (forbidden as ApiException<unknown>).body;
      expect(typeof body === 'string' ? JSON.parse(body) : body).toMatchObject({
        kind: 'Status',
        reason: 'Forbidden',
      });
    });

    it('kubectl create --raw posts a TokenReview and prints the answer', async () => {
      const kubectl = kubectlBinary();
      const file = join(kube.dir, 'tokenreview.json');
      writeFileSync(file, JSON.stringify(tokenReviewOf(callerToken)));
      // Async on purpose: the server answers from this process, so a sync exec would deadlock.
      const { stdout } = await execFileAsync(
        kubectl,
        [
          'create',
          '--raw',
          '/apis/authentication.k8s.io/v1/tokenreviews',
          '-f',
          file,
          '--server',
          kube.url,
          '--certificate-authority',
          kube.caFile,
          '--token',
          reviewerToken,
        ],
        { env: { ...process.env, KUBECONFIG: join(kube.dir, 'no-kubeconfig') }, timeout: 30_000 },
      );
      expect(JSON.parse(stdout)).toMatchObject({
        kind: 'TokenReview',
        status: { authenticated: true, user: { username: 'system:serviceaccount:team-a:runner' } },
      });
    });

    it('kubectl create --raw reports a 403 Status as Forbidden', async () => {
      kube.createServiceAccount('latchkey', 'nobody');
      const nobody = kube.issueToken({ namespace: 'latchkey', serviceAccount: 'nobody' });
      const file = join(kube.dir, 'tokenreview-403.json');
      writeFileSync(file, JSON.stringify(tokenReviewOf(callerToken)));
      const failure = await execFileAsync(
        kubectlBinary(),
        [
          'create',
          '--raw',
          '/apis/authentication.k8s.io/v1/tokenreviews',
          '-f',
          file,
          '--server',
          kube.url,
          '--certificate-authority',
          kube.caFile,
          '--token',
          nobody,
        ],
        { env: { ...process.env, KUBECONFIG: join(kube.dir, 'no-kubeconfig') }, timeout: 30_000 },
      ).catch((caught: { stderr: string }) => caught);
      expect((failure as { stderr: string }).stderr).toContain('Forbidden');
    });
  });
});

/** kubectl from PATH; missing is a failure, never a skip (CI: `apt-get install -y kubernetes-client`). */
function kubectlBinary(): string {
  try {
    return requireBinary('kubectl');
  } catch {
    throw new Error(
      'kubectl is not installed: `apt-get install -y kubernetes-client` (Debian; kubectl 1.20 and 1.32 both pass)',
    );
  }
}
