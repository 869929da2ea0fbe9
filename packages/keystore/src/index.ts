export type { ScanPage, SessionPart, SessionStoreDriver } from './driver.js';
export { ENVELOPE_VERSION, envelopeKeyId, openEnvelope, type SealOptions, sealEnvelope } from './envelope.js';
export { createKeyring, deriveKey, type Keyring, type KeyringInput } from './keyring.js';
export { isP256PrivateJwk, type JsonWebKeyInput, type P256PrivateJwk } from './private-jwk.js';
export type { RewrapOptions, RewrapResult } from './rewrap.js';
export {
  assertSessionId,
  generateSessionId,
  isSessionId,
  MAX_SESSION_ID_LENGTH,
  SESSION_ID_RANDOM_BITS,
} from './session-id.js';
export type { SessionRecord, SessionTarget } from './session-record.js';
export {
  createSessionStore,
  type PutSession,
  type SessionStore,
  type SessionStoreOptions,
  type StoreFailureEvent,
  type StoreOperation,
} from './session-store.js';
