import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { encodeHeartbeat, encodeRevocation, parseBusMessage } from './redis-message.js';

describe('parseBusMessage properties', () => {
  test.prop([
    fc.string({ minLength: 1 }),
    fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    fc.record({ userId: fc.string({ minLength: 1 }), revokedAtMs: fc.integer(), origin: fc.string() }),
  ])('every encoded message parses back to what was sent', (sender, sequence, revocation) => {
    expect(parseBusMessage(encodeRevocation(sender, sequence, revocation))).toEqual({
      kind: 'revocation',
      sender,
      sequence,
      revocation,
    });
    expect(parseBusMessage(encodeHeartbeat(sender, sequence))).toEqual({
      kind: 'heartbeat',
      sender,
      sequence,
    });
  });

  test.prop([fc.string()])('never throws on arbitrary input', (message) => {
    expect(() => parseBusMessage(message)).not.toThrow();
  });
});
