export type { ScanPage, SessionPart, SessionStoreDriver } from './driver.js';
export { ENVELOPE_VERSION, envelopeKeyId, openEnvelope, type SealOptions, sealEnvelope } from './envelope.js';
export { createKeyring, deriveKey, type Keyring, type KeyringInput } from './keyring.js';
export { isP256PrivateJwk, type P256PrivateJwk } from './private-jwk.js';
export {
  assertKeyPrefix,
  assertSessionId,
  isSessionId,
  keyEntryPattern,
  MAX_SESSION_ID_LENGTH,
  type SessionKeyNames,
  sessionIdOfKeyEntry,
  sessionKeyNames,
} from './session-id.js';
export type { SessionRecord, SessionTarget } from './session-record.js';
export {
  createSessionStore,
  type PutSession,
  type RewrapOptions,
  type RewrapResult,
  type SessionStore,
  type SessionStoreOptions,
  type StoreFailureEvent,
  type StoreOperation,
} from './session-store.js';
