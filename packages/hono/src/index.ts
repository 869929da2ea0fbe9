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
  identityOf,
  type LatchkeyEnv,
  latchkey,
  latchkeyErrorHandler,
  notFoundHandler,
} from './middleware.js';
