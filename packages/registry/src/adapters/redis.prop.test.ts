import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { parseRevocation } from './redis.js';

describe('parseRevocation properties', () => {
  test.prop([fc.string()])('is total over arbitrary strings', (message) => {
    const parsed = parseRevocation(message);
    if (parsed !== undefined) expect(parsed.userId.length).toBeGreaterThan(0);
  });

  test.prop([fc.string({ minLength: 1 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.uuid()])(
    'reads back what the bus writes',
    (userId, at, origin) => {
      const message = JSON.stringify({ v: 1, u: userId, at, o: origin });
      expect(parseRevocation(message)).toEqual({ userId, at: JSON.parse(JSON.stringify(at)), origin });
    },
  );
});
