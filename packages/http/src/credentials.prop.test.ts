import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { extractCredentials, parseBearer, readCookie } from './credentials.js';

const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const tokenArb = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...'ABCXYZabcxyz0189-._~+/'), minLength: 1, maxLength: 40 }),
    fc.nat({ max: 3 }),
  )
  .map(([body, pad]) => body + '='.repeat(pad));
const anyString = fc.string({ unit: 'binary', maxLength: 200 });
const headerValueArb = fc.oneof(anyString, fc.array(anyString, { maxLength: 3 }), fc.constant(undefined));

test.prop([anyString])('parseBearer is total and only ever returns a well-formed token', (value) => {
  const token = parseBearer(value);
  if (token !== undefined) expect(token).toMatch(TOKEN);
});

test.prop([
  tokenArb,
  fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR'),
  fc.integer({ min: 1, max: 4 }),
])('parseBearer returns the token of any well-formed Bearer value', (token, scheme, spaces) => {
  expect(parseBearer(`${scheme}${' '.repeat(spaces)}${token}`)).toBe(token);
});

test.prop([anyString, fc.constantFrom('latchkey_auth', 'a', 'x-y')])(
  'readCookie is total and only ever returns a well-formed token',
  (header, name) => {
    const token = readCookie(header, name);
    if (token !== undefined) expect(token).toMatch(TOKEN);
  },
);

test.prop([fc.array(fc.tuple(fc.constantFrom('a', 'b', 'theme'), tokenArb), { maxLength: 6 }), tokenArb])(
  'readCookie finds the cookie wherever it sits, first occurrence winning',
  (others, token) => {
    const pairs = [
      ...others.map(([name, value]) => `${name}=${value}`),
      `latchkey_auth=${token}`,
      'latchkey_auth=later',
    ];
    expect(readCookie(pairs.join('; '), 'latchkey_auth')).toBe(token);
  },
);

test.prop([
  fc.dictionary(fc.constantFrom('authorization', 'cookie', 'x-other'), headerValueArb),
  fc.option(anyString, { nil: undefined }),
  fc.boolean(),
])('extractCredentials is total over arbitrary headers and urls', (headers, url, allowQuery) => {
  const { candidates, malformed } = extractCredentials(
    { headers, url },
    { cookieName: 'latchkey_auth', allowQuery },
  );
  for (const { token } of candidates) expect(token).toMatch(TOKEN);
  const sources = [...candidates.map((c) => c.source), ...malformed];
  expect(new Set(sources).size).toBe(sources.length);
  if (!allowQuery) expect(sources).not.toContain('query');
});
