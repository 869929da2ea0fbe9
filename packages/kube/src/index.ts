export {
  type AccessReviewer,
  type AccessReviewerOptions,
  type AccessSubject,
  createAccessReviewer,
  type ResourceAttributes,
  SUBJECT_ACCESS_REVIEW_PATH,
  subjectAccessReviewBody,
} from './access-reviewer.js';
export {
  createKubeApiClient,
  DEFAULT_TIMEOUT_MS,
  type KubeApiClient,
  type KubeApiClientOptions,
  type KubeRequest,
  type KubeResponse,
} from './api-client.js';
export { type CacheKeyer, type CacheKeyerOptions, createCacheKeyer } from './cache-key.js';
export {
  bearerToken,
  createKubeCallerAuth,
  type KubeCallerAuth,
  type KubeCallerAuthConfig,
  type KubeCallerAuthOptions,
  kubeConfigFromEnv,
  SANDBOX_CREATE,
} from './caller-auth.js';
export {
  type Credential,
  DEFAULT_TOKEN_FILE,
  type TokenFileCredentialOptions,
  tokenFileCredential,
} from './credential.js';
export {
  type KubeIdentity,
  type PodBinding,
  parseServiceAccountUsername,
  type ServiceAccountRef,
} from './identity.js';
export {
  createTokenReviewer,
  DEFAULT_NEGATIVE_TTL_MS,
  DEFAULT_POSITIVE_TTL_MS,
  type KubeConnection,
  type ReviewCacheOptions,
  type ReviewOptions,
  TOKEN_REVIEW_PATH,
  type TokenReviewer,
  type TokenReviewerOptions,
} from './token-reviewer.js';
export { checkTokenShape, MAX_TOKEN_BYTES, type TokenShape } from './token-shape.js';
