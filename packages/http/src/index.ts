export {
  type AuthCookieOptions,
  type AuthCookieScope,
  clearAuthCookie,
  DEFAULT_AUTH_COOKIE_NAME,
  serializeAuthCookie,
} from './auth-cookie.js';
export {
  type Authenticated,
  type AuthenticateOptions,
  authenticate,
  isCredentialRejection,
} from './authenticate.js';
export {
  createRequestAuthorizer,
  type IdentityVerifier,
  type PolicySubject,
  pathOf,
  type RequestAuthorizer,
  type RequestAuthorizerOptions,
  type RequestFacts,
  type RequestPolicy,
  type RevocableIdentity,
  type RevocationCheck,
} from './authorize-request.js';
export {
  type BodySource,
  DEFAULT_BODY_LIMIT_BYTES,
  type FetchBodySource,
  type NodeBodySource,
  type ReadBodyOptions,
  type ReadJsonOptions,
  readBody,
  readJson,
} from './body.js';
export {
  type Credential,
  type CredentialExtraction,
  type CredentialOptions,
  type CredentialRequest,
  type CredentialSource,
  DEFAULT_MAX_TOKEN_LENGTH,
  extractCredentials,
  parseBearer,
  readCookie,
} from './credentials.js';
export {
  type ErrorLogEvent,
  type ErrorResponseOptions,
  errorToHttp,
  type HttpErrorResponse,
  toResponse,
} from './error-response.js';
export {
  createEventStream,
  type EventSink,
  type EventStreamEndReason,
  type EventStreamLease,
  type EventStreamOptions,
  type EventStreamResponse,
  formatServerSentEvent,
  type ServerSentEvent,
  writeEventStream,
} from './event-stream.js';
export { type HeaderSource, headerValue } from './headers.js';
export {
  assertOrigin,
  checkOrigin,
  normalizeOrigin,
  type OriginCheckInput,
  type OriginDecision,
  parseAllowedOrigins,
} from './origin.js';
export {
  type BucketOptions,
  createRateLimiter,
  type RateLimiter,
  type RateLimiterOptions,
} from './rate-limiter.js';
export { REDACTED, redactHeaders, redactUrl } from './redact.js';
