import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { InvalidRequestError } from '@latchkey/errors';
import { describe, expect, it } from 'vitest';
import { readBody, readJson } from './body.js';
import { errorToHttp } from './error-response.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A Fetch request whose body is a stream of `chunks`, counting how many chunks were pulled. */
function streamingRequest(chunks: readonly Uint8Array[], headers: Record<string, string> = {}) {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[pulled];
      if (chunk === undefined) controller.close();
      else {
        pulled++;
        controller.enqueue(chunk);
      }
    },
  });
  return { request: { headers: new Headers(headers), body }, pulled: () => pulled };
}

/** A node-style source: a header record plus a Readable of `chunks`. */
function nodeRequest(chunks: readonly (Uint8Array | string)[], headers: Record<string, string> = {}) {
  let pulled = 0;
  const stream = new Readable({
    objectMode: true,
    read() {
      const chunk = chunks[pulled];
      if (chunk === undefined) this.push(null);
      else {
        pulled++;
        this.push(chunk);
      }
    },
  });
  return { request: Object.assign(stream, { headers }), stream, pulled: () => pulled };
}

describe('readBody', () => {
  it('reads a Fetch Request body', async () => {
    const request = new Request('http://x/', { method: 'POST', body: 'hello' });
    expect(await readBody(request)).toEqual(bytes('hello'));
  });

  it('reads an empty or absent body as zero bytes', async () => {
    expect(await readBody(new Request('http://x/'))).toEqual(new Uint8Array(0));
    expect(await readBody(nodeRequest([]).request)).toEqual(new Uint8Array(0));
  });

  it('reads a node-style body of Buffers and strings', async () => {
    const { request } = nodeRequest([Buffer.from('ab'), 'cé']);
    expect(await readBody(request)).toEqual(bytes('abcé'));
  });

  it('accepts a body of exactly the limit and refuses one byte more', async () => {
    expect(
      (await readBody(streamingRequest([new Uint8Array(10)]).request, { limitBytes: 10 })).byteLength,
    ).toBe(10);
    await expect(
      readBody(streamingRequest([new Uint8Array(11)]).request, { limitBytes: 10 }),
    ).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      status: 413,
      limitBytes: 10,
    });
  });

  it('refuses at once when Content-Length exceeds the limit, reading nothing', async () => {
    const fetchSource = streamingRequest([new Uint8Array(1)], { 'content-length': '65537' });
    await expect(readBody(fetchSource.request)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(fetchSource.pulled()).toBeLessThanOrEqual(1); // a ReadableStream may pre-pull one chunk on its own
    const nodeSource = nodeRequest([new Uint8Array(1)], { 'content-length': '100' });
    await expect(readBody(nodeSource.request, { limitBytes: 99 })).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    expect(nodeSource.pulled()).toBe(0);
  });

  it('stops reading as soon as the limit is passed, without buffering the rest', async () => {
    const chunks = Array.from({ length: 1000 }, () => new Uint8Array(1024));
    const fetchSource = streamingRequest(chunks);
    await expect(readBody(fetchSource.request, { limitBytes: 4096 })).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    expect(fetchSource.pulled()).toBeLessThanOrEqual(7);
    const nodeSource = nodeRequest(chunks);
    await expect(readBody(nodeSource.request, { limitBytes: 4096 })).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    expect(nodeSource.pulled()).toBeLessThan(100);
  });

  it('leaves a node stream undestroyed after refusing it, so the 413 can still be written', async () => {
    const { request, stream } = nodeRequest(Array.from({ length: 10 }, () => new Uint8Array(8)));
    await expect(readBody(request, { limitBytes: 8 })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(stream.destroyed).toBe(false);
  });

  it('still counts bytes when Content-Length understates the body', async () => {
    const { request } = streamingRequest([new Uint8Array(20)], { 'content-length': '1' });
    await expect(readBody(request, { limitBytes: 10 })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('throws a TypeError on a bad limit', async () => {
    await expect(readBody(new Request('http://x/'), { limitBytes: -1 })).rejects.toBeInstanceOf(TypeError);
    await expect(readBody(new Request('http://x/'), { limitBytes: 1.5 })).rejects.toBeInstanceOf(TypeError);
  });
});

describe('readJson', () => {
  const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    new Request('http://x/', { method: 'POST', body, headers });

  it('parses a JSON body', async () => {
    expect(await readJson(post('{"repo":"r","path":"p"}'))).toEqual({ repo: 'r', path: 'p' });
  });

  it.each([['{'], [''], ['{"a":1} x'], ['\uFEFF{']])(
    'answers INVALID_REQUEST / malformed-json for %j',
    async (text) => {
      const error: unknown = await readJson(post(text)).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'INVALID_REQUEST', status: 400, reason: 'malformed-json' });
      expect((error as Error).cause).toBeUndefined(); // V8's message quotes the body
    },
  );

  it('answers malformed-json for invalid UTF-8', async () => {
    const request = { headers: new Headers(), body: new Blob([new Uint8Array([0x22, 0xff, 0x22])]).stream() };
    await expect(readJson(request)).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      reason: 'malformed-json',
    });
  });

  it('answers INVALID_REQUEST / schema when the validator throws, keeping its error as cause', async () => {
    const problem = new Error('repo: required');
    const parse = (): never => {
      throw problem;
    };
    const error: unknown = await readJson(post('{}'), { parse }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', reason: 'schema' });
    expect((error as Error).cause).toBe(problem);
  });

  it('lets a LatchkeyError from the validator through unchanged', async () => {
    const typed = new InvalidRequestError('invalid-session-id');
    const parse = (): never => {
      throw typed;
    };
    await expect(readJson(post('{}'), { parse })).rejects.toBe(typed);
  });

  it('returns what the validator returns', async () => {
    const parse = (value: unknown): number => (value as { n: number }).n * 2;
    expect(await readJson(post('{"n":21}'), { parse })).toBe(42);
  });

  it('applies the size limit before parsing', async () => {
    await expect(readJson(post(`"${'a'.repeat(100)}"`), { limitBytes: 50 })).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
  });

  it('refuses a non-JSON content type when asked to', async () => {
    await expect(
      readJson(post('{}', { 'content-type': 'text/plain' }), { requireJsonContentType: true }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST', reason: 'unsupported-media-type' });
    await expect(
      readJson(post('{}', { 'content-type': 'application/merge-patch+json; charset=utf-8' }), {
        requireJsonContentType: true,
      }),
    ).resolves.toEqual({});
  });
});

/** POSTs `size` bytes over a real socket and resolves with the status, as soon as the response arrives. */
function post(port: number, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(16 * 1024);
    let sent = 0;
    const write = (): void => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

describe('readBody over node:http', () => {
  it.each(['IncomingMessage', 'Readable.toWeb bridge'] as const)(
    'delivers the 413 for an oversized body read through %s, socket intact',
    async (mode) => {
      const server = createServer(async (req, res) => {
        try {
          const source =
            mode === 'IncomingMessage'
              ? req
              : { headers: new Headers(), body: Readable.toWeb(req) as ReadableStream<Uint8Array> };
          await readBody(source, { limitBytes: 1024 });
          res.end('accepted');
        } catch (error) {
          const { status, headers, body } = errorToHttp(error);
          res.writeHead(status, headers).end(body);
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        for (let i = 0; i < 3; i++) expect(await post(port, 2 * 1024 * 1024)).toBe(413);
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
    30_000,
  );
});
