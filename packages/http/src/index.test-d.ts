import { expectTypeOf, test } from 'vitest';
import {
  type Authenticated,
  authenticate,
  type CredentialSource,
  createEventStream,
  type EventStreamEndReason,
  errorToHttp,
  readJson,
  writeEventStream,
} from './index.js';

test('authenticate infers the identity from verify', () => {
  const result = authenticate({ headers: {} }, { verify: async (token) => ({ user: token }) });
  expectTypeOf(result).toEqualTypeOf<Promise<Authenticated<{ user: string }>>>();
  expectTypeOf<Authenticated<string>['source']>().toEqualTypeOf<CredentialSource>();
});

test('readJson returns what parse returns, unknown without it', () => {
  const request = new Request('http://x/');
  expectTypeOf(readJson(request, { parse: (value) => String(value) })).toEqualTypeOf<Promise<string>>();
  expectTypeOf(readJson(request)).toEqualTypeOf<Promise<unknown>>();
});

test('accepts a node:http header record and a Fetch Request', () => {
  authenticate({ headers: { authorization: ['a'], cookie: undefined }, url: '/x' }, { verify: () => 1 });
  authenticate(new Request('http://x/'), { verify: () => 1 });
  // @ts-expect-error format is json or problem+json
  errorToHttp(new Error('x'), { format: 'xml' });
});

test('accepts a node IncomingMessage and ServerResponse where the helpers read node:http', async () => {
  const { IncomingMessage, ServerResponse } = await import('node:http');
  const req = new IncomingMessage(null as never);
  authenticate(req, { verify: () => 1 });
  const res = new ServerResponse(req);
  const lease = { signal: new AbortController().signal, release: () => undefined };
  expectTypeOf(writeEventStream(res, lease)).toEqualTypeOf<Promise<EventStreamEndReason>>();
  expectTypeOf(createEventStream(lease)).toEqualTypeOf<Response>();
  // @ts-expect-error a lease needs release()
  createEventStream({ signal: new AbortController().signal });
});
