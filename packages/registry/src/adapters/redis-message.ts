import type { Revocation } from '../bus.js';

/**
 * A message on the revocation channel. Every message names the bus that sent it (`sender`) and carries
 * that bus's next sequence number, so a receiver that sees a number skipped knows it missed a message.
 */
export type BusMessage =
  | {
      readonly kind: 'revocation';
      readonly sender: string;
      readonly sequence: number;
      readonly revocation: Revocation;
    }
  | { readonly kind: 'heartbeat'; readonly sender: string; readonly sequence: number };

/**
 * The wire form of a logout: `{"v":1,"b":<sender>,"n":<sequence>,"u":<userId>,"at":<revokedAtMs>,"o":<origin>}`.
 *
 * @example
 * ```ts
 * encodeRevocation('bus-1', 7, { userId: 'alice', revokedAtMs: 1_700_000_000_000, origin: 'registry-1' });
 * ```
 */
export function encodeRevocation(sender: string, sequence: number, revocation: Revocation): string {
  return JSON.stringify({
    v: 1,
    b: sender,
    n: sequence,
    u: revocation.userId,
    at: revocation.revokedAtMs,
    o: revocation.origin,
  });
}

/**
 * The wire form of a heartbeat: `{"v":1,"b":<sender>,"n":<sequence>}`.
 *
 * @example
 * ```ts
 * encodeHeartbeat('bus-1', 8); // '{"v":1,"b":"bus-1","n":8}'
 * ```
 */
export function encodeHeartbeat(sender: string, sequence: number): string {
  return JSON.stringify({ v: 1, b: sender, n: sequence });
}

/**
 * Parses a message from the channel; anything malformed is `undefined`.
 *
 * @example
 * ```ts
 * parseBusMessage('{"v":1,"b":"bus-1","n":8}'); // { kind: 'heartbeat', sender: 'bus-1', sequence: 8 }
 * ```
 */
export function parseBusMessage(message: string): BusMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { v, b, n, u, at, o } = value as Record<string, unknown>;
  if (v !== 1 || typeof b !== 'string' || b.length === 0) return undefined;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) return undefined;
  if (u === undefined && at === undefined && o === undefined) {
    return { kind: 'heartbeat', sender: b, sequence: n };
  }
  if (typeof u !== 'string' || u.length === 0) return undefined;
  if (typeof at !== 'number' || !Number.isFinite(at) || typeof o !== 'string') return undefined;
  return {
    kind: 'revocation',
    sender: b,
    sequence: n,
    revocation: { userId: u, revokedAtMs: at, origin: o },
  };
}
