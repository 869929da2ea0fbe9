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
  type FastifyIdentity,
  identityOf,
  type LatchkeyFastifyOptions,
  type LatchkeyFastifyTypes,
  latchkeyPlugin,
} from './plugin.js';
