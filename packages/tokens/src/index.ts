export {
  type AccessClaims,
  type AccessTokenIssuer,
  type AccessTokenIssuerOptions,
  type AccessTokenRefresher,
  type AccessTokenRefresherOptions,
  type AccessTokenVerifier,
  type AccessTokenVerifierOptions,
  type CustomArgument,
  type CustomClaims,
  createAccessTokenIssuer,
  createAccessTokenRefresher,
  createAccessTokenVerifier,
  DEFAULT_ACCESS_TTL_SECONDS,
  type IssuedAccessToken,
  MAX_ACCESS_TTL_SECONDS,
  type RegisteredAccessClaim,
} from './access-token.js';
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
  MAX_BOOTSTRAP_TTL_SECONDS,
  type VerifiedBootstrap,
} from './bootstrap-token.js';
export { ACCESS_TYP, BOOTSTRAP_TYP, MAX_TOKEN_LENGTH, SESSION_TYP } from './compact.js';
export { importPrivateKeyText, importPublicKeyText } from './key-text.js';
export { DEFAULT_CLOCK_TOLERANCE_SECONDS, MAX_CLOCK_TOLERANCE_SECONDS } from './options.js';
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
export type { SignatureAlgorithm } from './signature.js';
export {
  createSigningKeyCache,
  type SigningKeyCache,
  type SigningKeyCacheOptions,
} from './signing-key-cache.js';
