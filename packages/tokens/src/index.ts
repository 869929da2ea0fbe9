export {
  createRedisReplayGuard,
  type RedisReplayClient,
  type RedisReplayGuardOptions,
} from './adapters/redis-replay-guard.js';
export {
  type BootstrapAlgorithm,
  importBootstrapPrivateKey,
  importBootstrapPublicKey,
} from './bootstrap-keys.js';
export {
  type BootstrapIssuer,
  type BootstrapIssuerOptions,
  type BootstrapSubject,
  type BootstrapVerifier,
  type BootstrapVerifierOptions,
  createBootstrapIssuer,
  createBootstrapVerifier,
  DEFAULT_BOOTSTRAP_TTL_SECONDS,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  MAX_BOOTSTRAP_TTL_SECONDS,
  type VerifiedBootstrap,
} from './bootstrap-token.js';
export { BOOTSTRAP_TYP, MAX_TOKEN_LENGTH, SESSION_TYP } from './compact.js';
export {
  createMemoryReplayGuard,
  type MemoryReplayGuard,
  type MemoryReplayGuardOptions,
  type ReplayGuard,
} from './replay-guard.js';
export {
  createSessionKeyHolder,
  type SessionKeyHolder,
  type SessionKeyHolderOptions,
  type SessionKeyHolderState,
  type SessionKeyInit,
} from './session-key-holder.js';
export {
  exportSessionPrivateJwk,
  exportSessionPublicJwk,
  generateSessionKeyPair,
  importSessionPrivateKey,
  importSessionPublicKey,
  type SessionKeyPair,
  type SessionPrivateJwk,
  type SessionPublicJwk,
} from './session-keys.js';
export {
  createSessionTokenSigner,
  createSessionTokenVerifier,
  DEFAULT_SESSION_TTL_SECONDS,
  type ExtraClaims,
  MAX_SESSION_TTL_SECONDS,
  type SessionClaims,
  type SessionTokenSigner,
  type SessionTokenSignerOptions,
  type SessionTokenVerifier,
  type SessionTokenVerifierOptions,
} from './session-token.js';
export { type SignatureAlgorithm, verifySignature } from './signature.js';
export {
  createSigningKeyCache,
  type SigningKeyCache,
  type SigningKeyCacheOptions,
} from './signing-key-cache.js';
