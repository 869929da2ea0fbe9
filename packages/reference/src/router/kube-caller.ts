import { UpstreamUnavailableError } from '@latchkey/errors';
import {
  createKubeCallerAuth,
  type KubeCallerAuth,
  type KubeCallerAuthConfig,
  type KubeCallerAuthOptions,
} from '@latchkey/kube';
import type { Logger } from '../log.js';
import type { CallerIdentity, RouterDeps } from './app.js';

/** The router's identity step on Kubernetes caller identity, and what it holds. */
export interface KubeRouterIdentity {
  /** {@link RouterDeps.identify}: the caller of `request`, or throws (401, 403, 502, 503). */
  identify(request: Request): Promise<CallerIdentity>;
  /** Releases the API server's keep-alive agent. Idempotent. */
  close(): void;
}

/** What tests and embedders may tune of the Kubernetes caller identity (the environment does not). */
export type KubeTuning = Omit<Partial<KubeCallerAuthOptions>, keyof KubeCallerAuthConfig | 'onUpstreamError'>;

/** A real Kubernetes UID is a UUID; anything outside the session-record owner alphabet is not one. */
const OWNER = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * The router's identity step on Kubernetes caller identity: every request is reviewed by TokenReview
 * (`Authorization: Bearer <service-account token>`), the caller is its service account's UID (the
 * per-client cap's key and the owner of the sessions it creates), and a session creation asks
 * SubjectAccessReview first (`create` `sandboxes.agents.x-k8s.io` with the target's name in its
 * namespace). The caller's token is used for the reviews only: it is never forwarded, logged or kept.
 *
 * @example
 * ```ts
 * const identity = kubeRouterIdentity(createKubeCallerAuth(config));
 * const caller = await identity.identify(request); // 401 / 403 / 502
 * await caller.authorizeCreate?.(target); // 403 unless RBAC allows it
 * ```
 */
export function kubeRouterIdentity(kube: KubeCallerAuth): KubeRouterIdentity {
  let closed = false;
  return {
    async identify(request) {
      const identity = await kube.authenticate(request.headers.get('authorization') ?? undefined);
      // The review's UID owns sessions in the store, whose owner alphabet a UUID fits. Anything else
      // is not what the API server gives: fail closed as for any answer of the wrong shape.
      if (!OWNER.test(identity.uid)) throw new UpstreamUnavailableError('bad-response');
      return {
        client: identity.uid,
        owner: identity.uid,
        authorizeCreate: (target) =>
          kube.authorizeSessionCreate(identity, { namespace: target.namespace, name: target.name }),
      };
    },
    close() {
      if (closed) return;
      closed = true;
      kube.close();
    },
  };
}

/**
 * The router's Kubernetes caller identity from its configuration (`LATCHKEY_KUBE_*`, read by
 * `kubeConfigFromEnv`): `undefined` when unset. Every 502 of the API server is logged; the router's
 * own credential refused (401/403 to our token) is logged as `reviewer-credential-refused` at error
 * level with what an operator must fix, since no caller can.
 *
 * @example
 * ```ts
 * const identity = kubeIdentityFromConfig(config.kube, log);
 * const app = createRouterApp({ ...deps, ...(identity && { identify: identity.identify }) });
 * ```
 */
export function kubeIdentityFromConfig(
  config: KubeCallerAuthConfig | undefined,
  log: Logger,
  tuning: KubeTuning = {},
): KubeRouterIdentity | undefined {
  if (config === undefined) return undefined;
  const kube = createKubeCallerAuth({
    ...tuning,
    ...config,
    onUpstreamError: (error) => {
      if (
        error.reason === 'reviewer-credential-refused' ||
        error.reason === 'reviewer-credential-unreadable'
      ) {
        log.error(error.reason, {
          code: error.code,
          note:
            error.reason === 'reviewer-credential-refused'
              ? 'the Kubernetes API server refuses the router its own credential: check LATCHKEY_KUBE_TOKEN_FILE and the RBAC of the router service account (create tokenreviews and subjectaccessreviews)'
              : 'the router cannot read its own token: check LATCHKEY_KUBE_TOKEN_FILE',
        });
      } else {
        log.error('kube-upstream-unavailable', { code: error.code, reason: error.reason });
      }
    },
  });
  return kubeRouterIdentity(kube);
}
