import { fc, test } from '@fast-check/vitest';
import { target } from '@latchkey/testkit/arbitraries';
import { expect } from 'vitest';
import { parseRecord, type SessionRecord, serializeRecord } from './session-record.js';

const endpoint = fc
  .tuple(fc.constantFrom('http://', 'https://'), fc.webAuthority(), fc.string({ maxLength: 40 }))
  .map(([scheme, authority, path]) => `${scheme}${authority}/${path}`)
  .filter((url) => url.length <= 2048 && URL.canParse(url));
const epoch = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const record: fc.Arbitrary<SessionRecord> = fc
  .record({
    target: target(['AgentRuntime', 'A', 'Kind9']),
    endpoint,
    authMode: fc.stringMatching(/^[a-z0-9._-]{1,64}$/),
    times: fc.tuple(epoch, epoch),
  })
  .map(({ times: [a, b], ...rest }) => ({
    ...rest,
    createdAtMs: Math.min(a, b),
    expiresAtMs: Math.max(a, b),
  }));

test.prop([record])(
  'serializeRecord writes exactly what JSON.stringify would, and parseRecord reads it back',
  (value) => {
    const text = serializeRecord(value);
    expect(text).toBe(JSON.stringify(value));
    expect(parseRecord(text)).toEqual(value);
  },
);
