export type {
  Authenticated,
  CredentialSource,
  IdentityVerifier,
  LatchkeyOptions,
  RequestPolicy,
  RevocableIdentity,
  RevocationCheck,
} from './authorize.js';
export {
  identityOf,
  type LatchkeyEnv,
  latchkey,
  latchkeyErrorHandler,
  notFoundHandler,
} from './middleware.js';
