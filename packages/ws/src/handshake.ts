import { type HeaderSource, headerValue } from '@latchkey/http';

/** What {@link checkHandshake} reads: a node:http `IncomingMessage` fits. */
export interface HandshakeRequest {
  readonly method?: string | undefined;
  readonly headers: HeaderSource;
}

/** Why a request is not a WebSocket opening handshake (RFC 6455 §4.2.1). */
export type HandshakeFailure = 'method' | 'upgrade' | 'connection' | 'key' | 'version';

/** The outcome of {@link checkHandshake}, in the house decision shape. */
export type HandshakeDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'INVALID_REQUEST'; readonly reason: HandshakeFailure };

const ALLOW: HandshakeDecision = Object.freeze({ ok: true });
const deny = (reason: HandshakeFailure): HandshakeDecision =>
  Object.freeze({ ok: false, code: 'INVALID_REQUEST', reason });

// 16 bytes in base64 are exactly 22 characters and `==` (RFC 6455 §4.1: a nonce of 16 bytes). The last
// character before the padding carries 4 unused bits, which must be zero in canonical base64.
const KEY = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

// A repeated header is not one clean value: it is read joined, so it fails the exact checks below.
const header = (headers: HeaderSource, name: string): string | undefined => headerValue(headers, name, ', ');

/** Whether a comma-separated header value holds `token`, compared case-insensitively. */
function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  return value.split(',').some((part) => part.trim().toLowerCase() === token);
}

/**
 * Whether a request is a real WebSocket opening handshake: `GET`, `Upgrade: websocket`, `Connection`
 * listing `upgrade`, a `Sec-WebSocket-Key` that is 16 bytes in base64, and `Sec-WebSocket-Version: 13`.
 * Run it before any credential is read, so a plain request that merely claims `Upgrade` never gets the
 * query-string credential that only WebSocket upgrades are allowed.
 *
 * @example
 * ```ts
 * checkHandshake({ method: 'GET', headers: { upgrade: 'websocket' } });
 * // { ok: false, code: 'INVALID_REQUEST', reason: 'connection' }
 * ```
 */
export function checkHandshake(request: HandshakeRequest): HandshakeDecision {
  if (request.method !== 'GET') return deny('method');
  const { headers } = request;
  const upgrade = header(headers, 'upgrade');
  if (upgrade === undefined || upgrade.trim().toLowerCase() !== 'websocket') return deny('upgrade');
  if (!hasToken(header(headers, 'connection'), 'upgrade')) return deny('connection');
  const key = header(headers, 'sec-websocket-key');
  if (key === undefined || !KEY.test(key.trim())) return deny('key');
  if (header(headers, 'sec-websocket-version')?.trim() !== '13') return deny('version');
  return ALLOW;
}
