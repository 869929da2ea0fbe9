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
  authenticationOf,
  identityOf,
  type LatchkeyMiddleware,
  LOCALS_KEY,
  latchkey,
  latchkeyErrorHandler,
  notFoundHandler,
} from './middleware.js';
