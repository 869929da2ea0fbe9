import { fc, test } from '@fast-check/vitest';
import { InvalidSessionTokenError } from '@latchkey/errors';
import { expect } from 'vitest';
import { authenticate } from './authenticate.js';
import type { CredentialSource } from './credentials.js';

type State = 'absent' | 'malformed' | 'invalid' | 'valid';
const state = fc.constantFrom<State>('absent', 'malformed', 'invalid', 'valid');

const malformedHeader = fc.constantFrom(
  'Basic dXNlcg==',
  'Bearer',
  'Bearer ',
  '   ',
  '',
  'Bearer a b',
  'Bearer "x"',
);
const malformedCookie = fc.constantFrom(
  'latchkey_auth=',
  'latchkey_auth="',
  'latchkey_auth=a b',
  'latchkey_auth=%41',
);
const malformedQuery = fc.constantFrom('token=', 'token=a%20b', 'token=%22x%22');

/** Tokens starting with `good-` verify; anything else is an invalid session token. */
async function verify(token: string, source: CredentialSource): Promise<string> {
  if (token.startsWith('good-')) return `${source}:${token}`;
  throw new InvalidSessionTokenError('bad-signature');
}

test.prop([state, state, state, fc.boolean(), malformedHeader, malformedCookie, malformedQuery])(
  'header, cookie and query follow the precedence laws',
  async (header, cookie, query, allowQuery, badHeader, badCookie, badQuery) => {
    const headers: Record<string, string> = {};
    if (header === 'malformed') headers.authorization = badHeader;
    if (header === 'invalid') headers.authorization = 'Bearer stale-h';
    if (header === 'valid') headers.authorization = 'Bearer good-h';
    if (cookie !== 'absent') {
      const pair = { malformed: badCookie, invalid: 'latchkey_auth=stale-c', valid: 'latchkey_auth=good-c' }[
        cookie
      ];
      headers.cookie = `theme=dark; ${pair}`;
    }
    const queryPart = { absent: '', malformed: badQuery, invalid: 'token=stale-q', valid: 'token=good-q' }[
      query
    ];
    const request = { headers, url: `/api/events?since=1&${queryPart}` };

    const considered: Array<[CredentialSource, State]> = [
      ['header', header],
      ['cookie', cookie],
      ...(allowQuery ? [['query', query] as [CredentialSource, State]] : []),
    ];
    const winner = considered.find(([, s]) => s === 'valid');
    const outcome = authenticate(request, { cookieName: 'latchkey_auth', allowQuery, verify });
    if (winner !== undefined) {
      // A valid header always wins; a malformed or invalid one never blocks a valid cookie; the query
      // string is used only when the route opts in.
      await expect(outcome).resolves.toMatchObject({ source: winner[0] });
    } else {
      const reason = considered.some(([, s]) => s === 'invalid')
        ? 'invalid'
        : considered.some(([, s]) => s === 'malformed')
          ? 'malformed'
          : 'missing';
      await expect(outcome).rejects.toMatchObject({ code: 'UNAUTHENTICATED', status: 401, reason });
    }
  },
);

test.prop([
  fc.constantFrom('Bearer good-h', 'Bearer stale-h', 'Basic dXNlcg=='),
  fc.constantFrom('Bearer good-2', 'Bearer stale-2', 'Bearer good-h'),
  fc.constantFrom('good-c', 'stale-c'),
  fc.boolean(),
])(
  'two Authorization headers answer 401 whatever they hold and whatever the cookie holds',
  async (first, second, cookie, joined) => {
    const request = joined
      ? { headers: { authorization: `${first}, ${second}`, cookie: `latchkey_auth=${cookie}` } }
      : {
          headers: { authorization: first, cookie: `latchkey_auth=${cookie}` },
          rawHeaders: ['authorization', first, 'Authorization', second, 'cookie', `latchkey_auth=${cookie}`],
        };
    await expect(authenticate(request, { cookieName: 'latchkey_auth', verify })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
      reason: 'malformed',
    });
  },
);
