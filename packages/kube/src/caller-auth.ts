import { readFileSync } from 'node:fs';
import { UnauthenticatedError, type UpstreamUnavailableError } from '@latchkey/errors';
import { type AccessReviewer, createAccessReviewer } from './access-reviewer.js';
import { createKubeApiClient, type KubeRequest, type KubeResponse } from './api-client.js';
import { type Credential, tokenFileCredential } from './credential.js';
import type { KubeIdentity } from './identity.js';
import { createTokenReviewer, type ReviewOptions, type TokenReviewer } from './token-reviewer.js';

/** The group, resource and verb a session creation is checked against (DESIGN). */
export const SANDBOX_CREATE: {
  readonly verb: 'create';
  readonly group: 'agents.x-k8s.io';
  readonly resource: 'sandboxes';
} = Object.freeze({
  verb: 'create',
  group: 'agents.x-k8s.io',
  resource: 'sandboxes',
} as const);

/** Configuration of {@link createKubeCallerAuth}, as {@link kubeConfigFromEnv} reads it. */
export interface KubeCallerAuthConfig {
  /** `https://host:port` of the API server (`LATCHKEY_KUBE_APISERVER`). */
  readonly apiServer: string;
  /** PEM bundle trusted for the API server (`LATCHKEY_KUBE_CA_FILE`). */
  readonly caFile: string;
  /** The router's own service-account token, re-read when it changes (`LATCHKEY_KUBE_TOKEN_FILE`). */
  readonly tokenFile: string;
  /** Audiences callers' tokens must carry (`LATCHKEY_KUBE_AUDIENCES`, comma-separated). */
  readonly audiences: readonly string[];
}

/** Options of {@link createKubeCallerAuth}: the configuration plus tuning (tests shorten the TTLs). */
export interface KubeCallerAuthOptions extends KubeCallerAuthConfig {
  /** Usernames accepted although not service accounts. Default none. */
  readonly adminPrincipals?: readonly string[];
  /** Deadline of one call to the API server. Default 5000. */
  readonly timeoutMs?: number;
  /** How often the token file is checked for a change. Default 1000. */
  readonly tokenFileCheckIntervalMs?: number;
  /** Overrides the token file (tests). */
  readonly credential?: Credential;
  readonly positiveTtlMs?: number;
  readonly negativeTtlMs?: number;
  readonly allowTtlMs?: number;
  readonly denyTtlMs?: number;
  readonly maxInFlight?: number;
  readonly now?: () => number;
  /** Told of every 502 (log `reviewer-credential-refused` loudly). */
  readonly onUpstreamError?: (error: UpstreamUnavailableError) => void;
}

/** What the router calls: authenticate a request, authorise a session creation, act as the caller. */
export interface KubeCallerAuth {
  /**
   * Reviews the `Authorization` header value (`Bearer <service-account token>`). Missing → 401
   * `missing`; another scheme, or several headers → 401 `malformed`; then as
   * {@link TokenReviewer.review}.
   */
  authenticate(
    authorization: string | readonly string[] | undefined,
    options?: ReviewOptions,
  ): Promise<KubeIdentity>;
  /** SubjectAccessReview: may `identity` create `sandboxes.agents.x-k8s.io` `name` in `namespace`? 403 if not. */
  authorizeSessionCreate(
    identity: KubeIdentity,
    target: { readonly namespace: string; readonly name: string },
    options?: ReviewOptions,
  ): Promise<void>;
  /** Calls the API server with the caller's own bearer token over the shared agent. */
  requestAsCaller(callerToken: string, request: Omit<KubeRequest, 'bearerToken'>): Promise<KubeResponse>;
  readonly tokens: TokenReviewer;
  readonly access: AccessReviewer;
  /** Closes the shared agent. */
  close(): void;
}

const BEARER = /^bearer +(\S+) *$/i;

/**
 * The bearer token of an `Authorization` header value: `Bearer` (any case), one or more spaces, the
 * token. Throws 401 `UNAUTHENTICATED` (`missing` / `malformed`).
 *
 * @example
 * ```ts
 * bearerToken('Bearer eyJhbGciOi...'); // 'eyJhbGciOi...'
 * ```
 */
export function bearerToken(authorization: string | readonly string[] | undefined): string {
  if (authorization === undefined || (Array.isArray(authorization) && authorization.length === 0)) {
    throw new UnauthenticatedError('missing');
  }
  if (typeof authorization !== 'string') throw new UnauthenticatedError('malformed');
  if (authorization === '') throw new UnauthenticatedError('missing');
  const match = BEARER.exec(authorization);
  if (match === null) throw new UnauthenticatedError('malformed');
  return match[1] as string;
}

/**
 * The Kubernetes caller identity of the reference router, in one object: one client (one keep-alive
 * agent) shared by the token reviewer, the access reviewer and calls made as the caller; the router's
 * own credential from `tokenFile`, re-read when it changes.
 *
 * @example
 * ```ts
 * const config = kubeConfigFromEnv(process.env);
 * const kube = config === undefined ? undefined : createKubeCallerAuth(config);
 * const identity = await kube.authenticate(request.headers.authorization);
 * await kube.authorizeSessionCreate(identity, { namespace: 'team-a', name: 'box-1' });
 * kube.close();
 * ```
 */
export function createKubeCallerAuth(options: KubeCallerAuthOptions): KubeCallerAuth {
  let ca: Buffer;
  try {
    ca = readFileSync(options.caFile);
  } catch (error) {
    throw new TypeError(`caFile ${options.caFile} could not be read`, { cause: error });
  }
  const client = createKubeApiClient({
    apiServer: options.apiServer,
    ca,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  const credential =
    options.credential ??
    tokenFileCredential(options.tokenFile, {
      ...(options.tokenFileCheckIntervalMs === undefined
        ? {}
        : { checkIntervalMs: options.tokenFileCheckIntervalMs }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
  const shared = {
    client,
    credential,
    ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.onUpstreamError === undefined ? {} : { onUpstreamError: options.onUpstreamError }),
  };
  const tokens = createTokenReviewer({
    ...shared,
    audiences: options.audiences,
    ...(options.adminPrincipals === undefined ? {} : { adminPrincipals: options.adminPrincipals }),
    ...(options.positiveTtlMs === undefined ? {} : { positiveTtlMs: options.positiveTtlMs }),
    ...(options.negativeTtlMs === undefined ? {} : { negativeTtlMs: options.negativeTtlMs }),
  });
  const access = createAccessReviewer({
    ...shared,
    ...(options.allowTtlMs === undefined ? {} : { allowTtlMs: options.allowTtlMs }),
    ...(options.denyTtlMs === undefined ? {} : { denyTtlMs: options.denyTtlMs }),
  });
  return {
    authenticate(authorization, reviewOptions) {
      let token: string;
      try {
        token = bearerToken(authorization);
      } catch (error) {
        return Promise.reject(error);
      }
      return tokens.review(token, reviewOptions);
    },
    authorizeSessionCreate(identity, target, reviewOptions) {
      return access.check(
        identity,
        { ...SANDBOX_CREATE, namespace: target.namespace, name: target.name },
        reviewOptions,
      );
    },
    requestAsCaller(callerToken, request) {
      return client.request({ ...request, bearerToken: callerToken });
    },
    tokens,
    access,
    close() {
      client.close();
    },
  };
}

/**
 * Reads DESIGN's environment: `undefined` when `LATCHKEY_KUBE_APISERVER` is unset or empty (Kubernetes
 * caller identity off); otherwise every one of `LATCHKEY_KUBE_CA_FILE`, `LATCHKEY_KUBE_TOKEN_FILE` and
 * `LATCHKEY_KUBE_AUDIENCES` is required, and a missing one is a `TypeError` naming it.
 *
 * @example
 * ```ts
 * kubeConfigFromEnv({ LATCHKEY_KUBE_APISERVER: 'https://10.0.0.1', LATCHKEY_KUBE_CA_FILE: '/ca.crt',
 *   LATCHKEY_KUBE_TOKEN_FILE: '/token', LATCHKEY_KUBE_AUDIENCES: 'latchkey,api' });
 * // { apiServer: 'https://10.0.0.1', caFile: '/ca.crt', tokenFile: '/token', audiences: ['latchkey', 'api'] }
 * ```
 */
export function kubeConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): KubeCallerAuthConfig | undefined {
  const apiServer = env.LATCHKEY_KUBE_APISERVER?.trim();
  if (apiServer === undefined || apiServer === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(apiServer);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:') throw new TypeError('LATCHKEY_KUBE_APISERVER must be an https:// URL');
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (value === undefined || value === '') {
      throw new TypeError(`${name} is required when LATCHKEY_KUBE_APISERVER is set`);
    }
    return value;
  };
  const caFile = required('LATCHKEY_KUBE_CA_FILE');
  const tokenFile = required('LATCHKEY_KUBE_TOKEN_FILE');
  const audiences = required('LATCHKEY_KUBE_AUDIENCES')
    .split(',')
    .map((audience) => audience.trim())
    .filter((audience) => audience !== '');
  if (audiences.length === 0) {
    throw new TypeError('LATCHKEY_KUBE_AUDIENCES must name at least one audience');
  }
  return { apiServer, caFile, tokenFile, audiences };
}
