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
  type FastifyIdentity,
  identityOf,
  type LatchkeyFastifyOptions,
  type LatchkeyFastifyTypes,
  latchkeyPlugin,
} from './plugin.js';
