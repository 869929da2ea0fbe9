import { describe, expect, it } from 'vitest';
import { listen } from './listen.js';
import { silentLogger } from './log.js';
import { json } from './respond.js';

describe('listen', () => {
  it('serves an app on 127.0.0.1 and a free port, passing method, path, headers and body', async () => {
    const server = await listen(
      async (request) =>
        json(201, {
          method: request.method,
          path: new URL(request.url).pathname + new URL(request.url).search,
          header: request.headers.get('x-test'),
          body: await request.text(),
        }),
      { port: 0, log: silentLogger },
    );
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      expect(server.port).toBeGreaterThan(0);
      const response = await fetch(`${server.url}/a/b?c=d`, {
        method: 'POST',
        headers: { 'x-test': 'yes' },
        body: 'hi',
      });
      expect(response.status).toBe(201);
      expect(await response.json()).toEqual({ method: 'POST', path: '/a/b?c=d', header: 'yes', body: 'hi' });
    } finally {
      await server.close();
    }
  });

  it('answers 500 INTERNAL, without detail, when the app throws something unexpected', async () => {
    const server = await listen(
      async () => {
        throw new Error('secret detail');
      },
      { port: 0, log: silentLogger },
    );
    try {
      const response = await fetch(server.url);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ code: 'INTERNAL', message: 'internal error' });
    } finally {
      await server.close();
    }
  });

  it('cancels a streamed body when the client goes away', async () => {
    let cancelled!: () => void;
    const wasCancelled = new Promise<void>((resolve) => {
      cancelled = resolve;
    });
    const server = await listen(
      async () => {
        let timer: NodeJS.Timeout | undefined;
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            timer = setInterval(() => controller.enqueue(new TextEncoder().encode('tick\n')), 20);
          },
          cancel() {
            clearInterval(timer);
            cancelled();
          },
        });
        return new Response(body);
      },
      { port: 0, log: silentLogger },
    );
    try {
      const controller = new AbortController();
      const response = await fetch(server.url, { signal: controller.signal });
      const reader = response.body?.getReader();
      await reader?.read();
      controller.abort();
      await wasCancelled;
    } finally {
      await server.close();
    }
  });

  it('refuses an absolute-form request target', async () => {
    const server = await listen(async () => json(200, {}), { port: 0, log: silentLogger });
    try {
      const { request } = await import('node:http');
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: server.port, path: 'http://evil.example/x' },
          (res) => {
            res.resume();
            resolve(res.statusCode);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(400);
    } finally {
      await server.close();
    }
  });

  it('keeps serving after answering a request whose large body it never read', async () => {
    const server = await listen(
      async () => json(401, { code: 'UNAUTHENTICATED', message: 'authentication required' }),
      {
        port: 0,
        log: silentLogger,
      },
    );
    const { Agent, request } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (body?: string): Promise<number | undefined> =>
      new Promise((resolve, reject) => {
        const req = request(
          `${server.url}/`,
          {
            method: body === undefined ? 'GET' : 'POST',
            agent,
            ...(body === undefined ? {} : { headers: { 'content-length': String(Buffer.byteLength(body)) } }),
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
          },
        );
        req.on('error', reject);
        req.setTimeout(3_000, () => req.destroy(new Error('timed out')));
        req.end(body);
      });
    try {
      expect(await send('x'.repeat(300_000))).toBe(401);
      expect(await send()).toBe(401);
    } finally {
      agent.destroy();
      await server.close();
    }
  });

  it('refuses connection bounds that are not positive integers, or headers longer than the request', async () => {
    await expect(
      listen(async () => json(200, {}), { port: 0, log: silentLogger, headersTimeoutMs: 0 }),
    ).rejects.toThrow(TypeError);
    await expect(
      listen(async () => json(200, {}), {
        port: 0,
        log: silentLogger,
        headersTimeoutMs: 2_000,
        requestTimeoutMs: 1_000,
      }),
    ).rejects.toThrow(TypeError);
  });
});
