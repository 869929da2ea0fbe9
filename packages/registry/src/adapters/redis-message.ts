import type { Revocation } from '../bus.js';

/** A message on the revocation channel: a logout, or a bus's heartbeat. */
export type BusMessage =
  | { readonly kind: 'revocation'; readonly revocation: Revocation }
  | { readonly kind: 'heartbeat' };

/**
 * The wire form of a logout: `{"v":1,"u":<userId>,"at":<revokedAtMs>,"o":<origin>}`.
 *
 * @example
 * ```ts
 * encodeRevocation({ userId: 'alice', revokedAtMs: 1_700_000_000_000, origin: 'a' });
 * ```
 */
export function encodeRevocation(revocation: Revocation): string {
  return JSON.stringify({ v: 1, u: revocation.userId, at: revocation.revokedAtMs, o: revocation.origin });
}

/**
 * The wire form of a heartbeat: `{"v":1,"hb":<sender>}`.
 *
 * @example
 * ```ts
 * encodeHeartbeat('bus-1'); // '{"v":1,"hb":"bus-1"}'
 * ```
 */
export function encodeHeartbeat(sender: string): string {
  return JSON.stringify({ v: 1, hb: sender });
}

/**
 * Parses a message from the channel; anything malformed is `undefined`.
 *
 * @example
 * ```ts
 * parseBusMessage('{"v":1,"hb":"x"}'); // { kind: 'heartbeat' }
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
  const { v, u, at, o, hb } = value as Record<string, unknown>;
  if (v !== 1) return undefined;
  if (typeof hb === 'string' && u === undefined) return { kind: 'heartbeat' };
  if (typeof u !== 'string' || u.length === 0) return undefined;
  if (typeof at !== 'number' || !Number.isFinite(at) || typeof o !== 'string') return undefined;
  return { kind: 'revocation', revocation: { userId: u, revokedAtMs: at, origin: o } };
}
