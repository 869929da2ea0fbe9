import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { redactUrl } from './redact.js';

const secret = fc
  .string({ unit: fc.constantFrom(...'abcXYZ019-._~+/='), minLength: 1, maxLength: 30 })
  .map((s) => `S3CR3T${s}`);
const otherName = fc.string({ unit: fc.constantFrom(...'abcdef'), minLength: 1, maxLength: 5 });
const otherValue = fc.string({ unit: fc.constantFrom(...'ghijk 0%&='), maxLength: 8 });

test.prop([
  secret,
  fc.array(fc.tuple(otherName, otherValue), { maxLength: 5 }),
  fc.nat({ max: 5 }),
  fc.boolean(),
])('no token survives redaction, and every other parameter is kept', (token, others, position, absolute) => {
  const params = new URLSearchParams(others);
  const entries = [...params];
  entries.splice(Math.min(position, entries.length), 0, ['token', token]);
  const query = new URLSearchParams(entries).toString();
  const url = `${absolute ? 'https://h.example' : ''}/api/events?${query}#frag`;
  const out = redactUrl(url, ['token']);
  expect(out).not.toContain('S3CR3T');
  const read = new URL(out, 'https://h.example').searchParams;
  expect(read.getAll('token')).toEqual(['REDACTED']);
  expect([...read].filter(([name]) => name !== 'token')).toEqual(
    entries.filter(([name]) => name !== 'token'),
  );
  expect(out.endsWith('#frag')).toBe(true);
});

test.prop([fc.string({ unit: 'binary', maxLength: 200 }), fc.array(fc.string(), { maxLength: 3 })])(
  'redactUrl is total',
  (url, names) => {
    expect(typeof redactUrl(url, names)).toBe('string');
  },
);
