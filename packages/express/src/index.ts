export type {
  Authenticated,
  CredentialSource,
  IdentityVerifier,
  RequestAuthorizerOptions as LatchkeyOptions,
  RequestPolicy,
  RevocableIdentity,
  RevocationCheck,
} from '@latchkey/http';
export {
  authenticationOf,
  identityOf,
  type LatchkeyMiddleware,
  LOCALS_KEY,
  latchkey,
  latchkeyErrorHandler,
  notFoundHandler,
} from './middleware.js';
