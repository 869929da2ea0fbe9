import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCertificates } from './certificates.js';
import {
  generateSigningKey,
  type KubeTokenAlg,
  publicJwk,
  type SigningKey,
  signJwt,
  verifyJwt,
} from './signer.js';

/** Options of {@link startKubeApiServer}. */
export interface StartKubeApiServerOptions {
  /** `iss` of service-account tokens. Default `https://kubernetes.default.svc.cluster.local`. */
  readonly issuer?: string;
  /** The API server's own audiences (used when a TokenReview sends none). Default `[issuer]`. */
  readonly apiAudiences?: readonly string[];
  /** Algorithm of the default signing key. Default `RS256` (kube-apiserver's usual). */
  readonly alg?: KubeTokenAlg;
  /** Clock in ms for token validation. Default `Date.now`. */
  readonly now?: () => number;
}

/** A service account (or pod) the server knows; deleting it makes its tokens review unauthenticated. */
export interface KubeObjectRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** Options of {@link KubeApiTestServer.issueToken}. */
export interface IssueTokenOptions {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** `aud`. Default the API server's audiences. */
  readonly audiences?: readonly string[];
  /** Lifetime. Default 3600. */
  readonly expiresInSeconds?: number;
  /** Bind the token to this pod (which must exist), as the kubelet's projected tokens are. */
  readonly pod?: string;
  /** Sign with a key of this algorithm (both exist). Default the server's `alg`. */
  readonly alg?: KubeTokenAlg;
}

/** One RBAC grant. Omitted fields match anything; `'*'` in a list matches anything too. */
export interface AccessRule {
  /** Subject: a username (e.g. `system:serviceaccount:ns:name`) or a group. */
  readonly user?: string;
  readonly group?: string;
  readonly verbs: readonly string[];
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  /** Namespace the grant holds in (a RoleBinding); omitted = cluster-wide (a ClusterRoleBinding). */
  readonly namespace?: string;
  readonly resourceNames?: readonly string[];
}

/** A fault the server injects into the next `count` matching requests. */
export type KubeFault =
  | { readonly type: 'latency'; readonly ms: number }
  | { readonly type: 'too-many-requests'; readonly retryAfterSeconds: number }
  | { readonly type: 'internal-error' }
  | { readonly type: 'reset' }
  | { readonly type: 'garbage' }
  | { readonly type: 'wrong-kind' }
  /** Answers this status and JSON body instead (e.g. a review shaped in a way this server never sends). */
  | { readonly type: 'respond'; readonly status: number; readonly body: unknown };

/** Which requests a fault applies to. */
export type FaultScope = 'tokenreviews' | 'subjectaccessreviews' | 'all';

/** Requests the server has seen. */
export interface KubeRequestCounts {
  readonly requests: number;
  readonly tokenReviews: number;
  readonly subjectAccessReviews: number;
  /** Requests refused 401/403 for the caller's own credential (the reviewer's, for reviews). */
  readonly refusedCredentials: number;
}

/** One request as received, for golden comparisons (the Authorization header is reduced to its scheme). */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly authorizationScheme: string | undefined;
  readonly body: unknown;
}

/** A TLS server speaking the Kubernetes TokenReview / SubjectAccessReview wire format. */
export interface KubeApiTestServer {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly issuer: string;
  readonly apiAudiences: readonly string[];
  readonly caPem: string;
  readonly caFile: string;
  /** A directory for the test's own files (token files), removed by {@link close}. */
  readonly dir: string;
  createServiceAccount(namespace: string, name: string): KubeObjectRef;
  deleteServiceAccount(namespace: string, name: string): void;
  /** A pod running as a service account (which need not exist yet). */
  createPod(namespace: string, name: string, serviceAccount: string): KubeObjectRef;
  deletePod(namespace: string, name: string): void;
  /** A real service-account JWT signed by the server, with `kubernetes.io` claims. */
  issueToken(options: IssueTokenOptions): string;
  /** A token of a user that is not a service account (as OIDC or a static token file would give). */
  issueUserToken(username: string, groups?: readonly string[], audiences?: readonly string[]): string;
  allow(rule: AccessRule): void;
  /** Grants `create` on tokenreviews and subjectaccessreviews (the RBAC a reviewer needs). */
  grantReviewer(namespace: string, name: string): void;
  /** Removes every rule naming this user. */
  revokeUser(username: string): void;
  fault(fault: KubeFault, options?: { readonly count?: number; readonly scope?: FaultScope }): void;
  clearFaults(): void;
  counts(): KubeRequestCounts;
  resetCounts(): void;
  /** The last requests (at most 100), oldest first. */
  recorded(): readonly RecordedRequest[];
  /** Stops listening and drops every connection, as a crashed API server would. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const TOKEN_REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';
const ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
const SA_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)$/;
const MAX_BODY_BYTES = 3 * 1024 * 1024;

interface ServiceAccount extends KubeObjectRef {}
interface Pod extends KubeObjectRef {
  readonly serviceAccount: string;
  readonly nodeName: string;
  readonly nodeUid: string;
}
interface ActiveFault {
  readonly fault: KubeFault;
  readonly scope: FaultScope;
  remaining: number;
}
interface UserInfo {
  readonly username: string;
  readonly uid: string;
  readonly groups: readonly string[];
  readonly extra: Record<string, string[]>;
}

/**
 * Starts a TLS server on a free loopback port that speaks the parts of the Kubernetes API latchkey
 * uses, to the API reference: `TokenReview` (authentication.k8s.io/v1), `SubjectAccessReview`
 * (authorization.k8s.io/v1), service-account issuer discovery (`/.well-known/openid-configuration`,
 * `/openid/v1/jwks`), `GET` of a ServiceAccount (to act as a caller), and `Status` objects for 401,
 * 403, 404, 422, 429 and 500. Its CA is made at start. No real kube-apiserver can run on these
 * machines (none in Debian or npm; envtest, kind and k3s download binaries or images).
 *
 * @example
 * ```ts
 * const kube = await startKubeApiServer();
 * kube.createServiceAccount('latchkey', 'router');
 * kube.grantReviewer('latchkey', 'router');
 * const reviewerToken = kube.issueToken({ namespace: 'latchkey', serviceAccount: 'router' });
 * await kube.close();
 * ```
 */
export async function startKubeApiServer(
  options: StartKubeApiServerOptions = {},
): Promise<KubeApiTestServer> {
  const issuer = options.issuer ?? 'https://kubernetes.default.svc.cluster.local';
  const apiAudiences = Object.freeze([...(options.apiAudiences ?? [issuer])]);
  const defaultAlg = options.alg ?? 'RS256';
  const now = options.now ?? Date.now;
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-kube-'));
  const certs = makeTestCertificates(dir);
  const signingKeys = new Map<KubeTokenAlg, SigningKey>([
    ['RS256', generateSigningKey('RS256')],
    ['ES256', generateSigningKey('ES256')],
  ]);
  const keysByKid = new Map([...signingKeys.values()].map((key) => [key.kid, key]));
  const serviceAccounts = new Map<string, ServiceAccount>();
  const pods = new Map<string, Pod>();
  const rules: AccessRule[] = [];
  const faults: ActiveFault[] = [];
  const recorded: RecordedRequest[] = [];
  let counts = { requests: 0, tokenReviews: 0, subjectAccessReviews: 0, refusedCredentials: 0 };
  const sockets = new Set<Socket>();
  const nodeUid = randomUUID();

  const key = (namespace: string, name: string): string => `${namespace}/${name}`;

  /** Authenticates a token as kube-apiserver's service-account authenticator would. */
  const authenticateToken = (
    token: string,
    audiences: readonly string[],
  ): { user: UserInfo; audiences: string[] } | { error: string } => {
    const claims = verifyJwt(token, keysByKid);
    if (claims === undefined)
      return { error: 'invalid bearer token, square/go-jose: error in cryptographic primitive' };
    const nowSeconds = Math.floor(now() / 1000);
    if (claims.iss !== issuer) return { error: 'invalid bearer token, token issuer is not recognized' };
    if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) {
      return { error: 'invalid bearer token, service account token has expired' };
    }
    if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds + 60) {
      return { error: 'invalid bearer token, service account token is not valid yet' };
    }
    const tokenAudiences = Array.isArray(claims.aud) ? (claims.aud as string[]) : [String(claims.aud)];
    const wanted = audiences.length === 0 ? apiAudiences : audiences;
    const matched = wanted.filter((audience) => tokenAudiences.includes(audience));
    if (matched.length === 0) {
      return {
        error: `invalid bearer token, token audiences ${JSON.stringify(tokenAudiences)} is invalid for the target audiences ${JSON.stringify(wanted)}`,
      };
    }
    const user = claims['latchkey.testkit/user'];
    if (typeof user === 'object' && user !== null) {
      const { username, groups } = user as { username: string; groups: string[] };
      return {
        user: { username, uid: '', groups: [...groups, 'system:authenticated'], extra: {} },
        audiences: matched,
      };
    }
    const kube = claims['kubernetes.io'] as
      | {
          namespace?: string;
          serviceaccount?: { name?: string; uid?: string };
          pod?: { name?: string; uid?: string };
        }
      | undefined;
    const namespace = kube?.namespace;
    const saName = kube?.serviceaccount?.name;
    if (typeof namespace !== 'string' || typeof saName !== 'string') {
      return { error: 'invalid bearer token, token could not be validated' };
    }
    const account = serviceAccounts.get(key(namespace, saName));
    if (account === undefined || account.uid !== kube?.serviceaccount?.uid) {
      return { error: `invalid bearer token, service account ${namespace}/${saName} has been deleted` };
    }
    const extra: Record<string, string[]> = {};
    if (typeof claims.jti === 'string')
      extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
    if (kube?.pod !== undefined) {
      const pod = pods.get(key(namespace, String(kube.pod.name)));
      if (pod === undefined || pod.uid !== kube.pod.uid) {
        return { error: `invalid bearer token, pod ${namespace}/${kube.pod.name} has been deleted` };
      }
      extra['authentication.kubernetes.io/node-name'] = [pod.nodeName];
      extra['authentication.kubernetes.io/node-uid'] = [pod.nodeUid];
      extra['authentication.kubernetes.io/pod-name'] = [pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [pod.uid];
    }
    return {
      user: {
        username: `system:serviceaccount:${namespace}:${saName}`,
        uid: account.uid,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
        extra,
      },
      audiences: matched,
    };
  };

  const authorize = (
    user: Pick<UserInfo, 'username' | 'groups'>,
    attributes: { verb: string; group: string; resource: string; namespace?: string; name?: string },
  ): boolean =>
    rules.some((rule) => {
      const subject =
        (rule.user !== undefined && rule.user === user.username) ||
        (rule.group !== undefined && user.groups.includes(rule.group));
      const any = (list: readonly string[] | undefined, value: string | undefined): boolean =>
        list === undefined || list.includes('*') || (value !== undefined && list.includes(value));
      return (
        subject &&
        any(rule.verbs, attributes.verb) &&
        any(rule.apiGroups, attributes.group) &&
        any(rule.resources, attributes.resource) &&
        (rule.namespace === undefined || rule.namespace === attributes.namespace) &&
        any(rule.resourceNames, attributes.name)
      );
    });

  const takeFault = (scope: 'tokenreviews' | 'subjectaccessreviews' | 'other'): KubeFault | undefined => {
    const index = faults.findIndex((fault) => fault.scope === 'all' || fault.scope === scope);
    if (index < 0) return undefined;
    const active = faults[index] as ActiveFault;
    active.remaining -= 1;
    if (active.remaining <= 0) faults.splice(index, 1);
    return active.fault;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    counts.requests++;
    const url = new URL(req.url ?? '/', 'https://localhost');
    const path = url.pathname;
    const body = await readBody(req);
    if (body === undefined) return sendStatus(res, 413, 'RequestEntityTooLarge', 'request entity too large');
    let parsed: unknown;
    if (body.length > 0) {
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        parsed = undefined;
      }
    }
    recorded.push({
      method: req.method ?? '',
      path,
      contentType: req.headers['content-type'],
      authorizationScheme: req.headers.authorization?.split(' ')[0],
      body: parsed,
    });
    if (recorded.length > 100) recorded.shift();

    if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      return sendJson(res, 200, {
        issuer,
        jwks_uri: `${issuer}/openid/v1/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES256', 'RS256'],
      });
    }
    if (req.method === 'GET' && path === '/openid/v1/jwks') {
      return sendJson(
        res,
        200,
        { keys: [...signingKeys.values()].map(publicJwk) },
        'application/jwk-set+json',
      );
    }

    // Public, as kube-apiserver's system:public-info-viewer role makes it.
    if (req.method === 'GET' && path === '/version') {
      return sendJson(res, 200, {
        major: '1',
        minor: '33',
        gitVersion: 'v1.33.0-latchkey-testkit',
        platform: 'linux/amd64',
      });
    }
    const scope =
      path === TOKEN_REVIEWS ? 'tokenreviews' : path === ACCESS_REVIEWS ? 'subjectaccessreviews' : 'other';
    if (scope === 'tokenreviews') counts.tokenReviews++;
    if (scope === 'subjectaccessreviews') counts.subjectAccessReviews++;
    const fault = takeFault(scope);
    if (fault?.type === 'latency') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (fault?.type === 'reset') {
      // A TLS socket has no TCP handle of its own to reset: closing it unanswered is what a client sees.
      req.socket.destroy();
      return;
    }
    if (fault?.type === 'too-many-requests') {
      res.setHeader('retry-after', String(fault.retryAfterSeconds));
      return sendJson(res, 429, {
        ...statusObject(
          429,
          'TooManyRequests',
          'the server has received too many requests and has asked us to try again later',
        ),
        details: { retryAfterSeconds: fault.retryAfterSeconds },
      });
    }
    if (fault?.type === 'internal-error') {
      return sendStatus(res, 500, 'InternalError', 'Internal error occurred: testkit fault');
    }
    if (fault?.type === 'respond') return sendJson(res, fault.status, fault.body);
    if (fault?.type === 'garbage') {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end('{"kind":"TokenRev\u0000<html>garbage');
      return;
    }

    // Every API request below is authenticated (bearer) and authorised (RBAC), as kube-apiserver does.
    const authorization = req.headers.authorization;
    const bearer = authorization?.startsWith('Bearer ') === true ? authorization.slice(7).trim() : undefined;
    const caller = bearer === undefined ? undefined : authenticateToken(bearer, []);
    if (caller === undefined || 'error' in caller) {
      counts.refusedCredentials++;
      return sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
    }

    const saMatch = SA_PATH.exec(path);
    if (req.method === 'GET' && saMatch !== null) {
      const [, namespace, name] = saMatch as unknown as [string, string, string];
      if (!authorize(caller.user, { verb: 'get', group: '', resource: 'serviceaccounts', namespace, name })) {
        counts.refusedCredentials++;
        return sendForbidden(res, caller.user.username, 'get', 'serviceaccounts', '', namespace);
      }
      const account = serviceAccounts.get(key(namespace, name));
      if (account === undefined) {
        return sendJson(res, 404, {
          ...statusObject(404, 'NotFound', `serviceaccounts "${name}" not found`),
          details: { name, kind: 'serviceaccounts' },
        });
      }
      return sendJson(res, 200, {
        kind: 'ServiceAccount',
        apiVersion: 'v1',
        metadata: { name, namespace, uid: account.uid },
      });
    }
    if (req.method !== 'POST' || scope === 'other') {
      return sendJson(
        res,
        404,
        statusObject(404, 'NotFound', 'the server could not find the requested resource'),
      );
    }

    const resource = scope;
    const group = scope === 'tokenreviews' ? 'authentication.k8s.io' : 'authorization.k8s.io';
    if (!authorize(caller.user, { verb: 'create', group, resource })) {
      counts.refusedCredentials++;
      return sendForbidden(res, caller.user.username, 'create', resource, group, undefined);
    }
    const kind = scope === 'tokenreviews' ? 'TokenReview' : 'SubjectAccessReview';
    if (
      !isRecord(parsed) ||
      parsed.apiVersion !== `${group}/v1` ||
      parsed.kind !== kind ||
      !isRecord(parsed.spec)
    ) {
      return sendStatus(res, 400, 'BadRequest', `the body of the request was in an unknown format`);
    }
    if (fault?.type === 'wrong-kind') {
      return sendJson(res, 201, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        code: 201,
      });
    }
    if (scope === 'tokenreviews') {
      const spec = parsed.spec as { token?: unknown; audiences?: unknown };
      if (typeof spec.token !== 'string' || spec.token === '') {
        return sendInvalid(res, kind, 'spec.token', 'Required value');
      }
      const audiences = Array.isArray(spec.audiences) ? spec.audiences.map(String) : [];
      const result = authenticateToken(spec.token, audiences);
      return sendJson(res, 201, {
        kind,
        apiVersion: `${group}/v1`,
        metadata: { creationTimestamp: null },
        spec: parsed.spec,
        status:
          'error' in result
            ? { user: {}, error: `[${result.error}]` }
            : {
                authenticated: true,
                user: {
                  username: result.user.username,
                  ...(result.user.uid === '' ? {} : { uid: result.user.uid }),
                  groups: result.user.groups,
                  ...(Object.keys(result.user.extra).length === 0 ? {} : { extra: result.user.extra }),
                },
                audiences: result.audiences,
              },
      });
    }
    const spec = parsed.spec as {
      user?: unknown;
      groups?: unknown;
      resourceAttributes?: Record<string, unknown>;
      nonResourceAttributes?: unknown;
    };
    if ((typeof spec.user !== 'string' || spec.user === '') && !Array.isArray(spec.groups)) {
      return sendInvalid(
        res,
        kind,
        'spec.user',
        'Invalid value: "": at least one of user or group must be specified',
      );
    }
    if (!isRecord(spec.resourceAttributes) && !isRecord(spec.nonResourceAttributes)) {
      return sendInvalid(
        res,
        kind,
        'spec.resourceAttributes',
        'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified',
      );
    }
    const attributes = spec.resourceAttributes ?? {};
    const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
    const subject = {
      username: str(spec.user) ?? '',
      groups: Array.isArray(spec.groups) ? spec.groups.map(String) : [],
    };
    const question = {
      verb: str(attributes.verb) ?? '',
      group: str(attributes.group) ?? '',
      resource: str(attributes.resource) ?? '',
      ...(str(attributes.namespace) === undefined ? {} : { namespace: str(attributes.namespace) as string }),
      ...(str(attributes.name) === undefined ? {} : { name: str(attributes.name) as string }),
    };
    const allowed = isRecord(spec.resourceAttributes) && authorize(subject, question);
    return sendJson(res, 201, {
      kind,
      apiVersion: `${group}/v1`,
      metadata: { creationTimestamp: null },
      spec: parsed.spec,
      status: allowed ? { allowed: true, reason: 'RBAC: allowed by testkit rule' } : { allowed: false },
    });
  };

  const tls = createServer(
    { cert: certs.certPem, key: certs.keyPem, keepAliveTimeout: 5_000 },
    (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) sendStatus(res, 500, 'InternalError', 'Internal error occurred');
        else res.destroy();
      });
    },
  );
  tls.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  tls.on('tlsClientError', () => undefined);
  let port = await listen(tls, 0);
  let listening = true;

  const server: KubeApiTestServer = {
    get url() {
      return `https://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    issuer,
    apiAudiences,
    caPem: certs.caPem,
    caFile: certs.caFile,
    dir,
    createServiceAccount(namespace, name) {
      const account = { namespace, name, uid: randomUUID() };
      serviceAccounts.set(key(namespace, name), account);
      return account;
    },
    deleteServiceAccount(namespace, name) {
      serviceAccounts.delete(key(namespace, name));
    },
    createPod(namespace, name, serviceAccount) {
      const pod = { namespace, name, uid: randomUUID(), serviceAccount, nodeName: 'node-1', nodeUid };
      pods.set(key(namespace, name), pod);
      return { namespace, name, uid: pod.uid };
    },
    deletePod(namespace, name) {
      pods.delete(key(namespace, name));
    },
    issueToken(issue) {
      const account = serviceAccounts.get(key(issue.namespace, issue.serviceAccount));
      const nowSeconds = Math.floor(now() / 1000);
      const exp = nowSeconds + (issue.expiresInSeconds ?? 3600);
      const pod = issue.pod === undefined ? undefined : pods.get(key(issue.namespace, issue.pod));
      if (issue.pod !== undefined && pod === undefined)
        throw new TypeError(`no pod ${issue.namespace}/${issue.pod}`);
      const claims = {
        aud: [...(issue.audiences ?? apiAudiences)],
        exp,
        iat: nowSeconds,
        iss: issuer,
        jti: randomUUID(),
        'kubernetes.io': {
          namespace: issue.namespace,
          ...(pod === undefined
            ? {}
            : { node: { name: pod.nodeName, uid: pod.nodeUid }, pod: { name: pod.name, uid: pod.uid } }),
          serviceaccount: { name: issue.serviceAccount, uid: account?.uid ?? randomUUID() },
          ...(pod === undefined ? {} : { warnafter: nowSeconds + 3600 }),
        },
        nbf: nowSeconds,
        sub: `system:serviceaccount:${issue.namespace}:${issue.serviceAccount}`,
      };
      return signJwt(signingKeys.get(issue.alg ?? defaultAlg) as SigningKey, claims);
    },
    issueUserToken(username, groups = [], audiences = apiAudiences) {
      const nowSeconds = Math.floor(now() / 1000);
      return signJwt(signingKeys.get(defaultAlg) as SigningKey, {
        aud: [...audiences],
        exp: nowSeconds + 3600,
        iat: nowSeconds,
        iss: issuer,
        sub: username,
        'latchkey.testkit/user': { username, groups: [...groups] },
      });
    },
    allow(rule) {
      rules.push(rule);
    },
    grantReviewer(namespace, name) {
      rules.push({
        user: `system:serviceaccount:${namespace}:${name}`,
        verbs: ['create'],
        apiGroups: ['authentication.k8s.io'],
        resources: ['tokenreviews'],
      });
      rules.push({
        user: `system:serviceaccount:${namespace}:${name}`,
        verbs: ['create'],
        apiGroups: ['authorization.k8s.io'],
        resources: ['subjectaccessreviews'],
      });
    },
    revokeUser(username) {
      for (let i = rules.length - 1; i >= 0; i--) if (rules[i]?.user === username) rules.splice(i, 1);
    },
    fault(fault, faultOptions = {}) {
      faults.push({ fault, scope: faultOptions.scope ?? 'all', remaining: faultOptions.count ?? 1 });
    },
    clearFaults() {
      faults.length = 0;
    },
    counts() {
      return { ...counts };
    },
    resetCounts() {
      counts = { requests: 0, tokenReviews: 0, subjectAccessReviews: 0, refusedCredentials: 0 };
    },
    recorded() {
      return [...recorded];
    },
    async stop() {
      if (!listening) return;
      listening = false;
      const closed = new Promise<void>((resolve) => tls.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    async start() {
      if (listening) return;
      port = await listen(tls, port);
      listening = true;
    },
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(bytes > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function statusObject(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  sendJson(res, code, statusObject(code, reason, message));
}

function sendForbidden(
  res: ServerResponse,
  username: string,
  verb: string,
  resource: string,
  group: string,
  namespace: string | undefined,
): void {
  const qualified = group === '' ? resource : `${resource}.${group}`;
  const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  sendJson(res, 403, {
    ...statusObject(
      403,
      'Forbidden',
      `${qualified} is forbidden: User "${username}" cannot ${verb} resource "${resource}" in API group "${group}" ${scope}`,
    ),
    details: { group, kind: resource },
  });
}

function sendInvalid(res: ServerResponse, kind: string, field: string, message: string): void {
  sendJson(res, 422, {
    ...statusObject(
      422,
      'Invalid',
      `${kind}.${kind.includes('Token') ? 'authentication' : 'authorization'}.k8s.io "" is invalid: ${field}: ${message}`,
    ),
    details: {
      group: kind === 'TokenReview' ? 'authentication.k8s.io' : 'authorization.k8s.io',
      kind,
      causes: [{ reason: 'FieldValueRequired', message, field }],
    },
  });
}
