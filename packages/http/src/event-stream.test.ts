import { SessionRevokedError } from '@latchkey/errors';
import { describe, expect, it, vi } from 'vitest';
import { createEventStream, type EventStreamEndReason, formatServerSentEvent } from './event-stream.js';

function testLease() {
  const controller = new AbortController();
  const release = vi.fn();
  return {
    lease: { signal: controller.signal, release },
    abort: (reason?: unknown) => controller.abort(reason),
    release,
  };
}

/** Reads a body until `until` matches the text so far or `timeoutMs` passes. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  until: (text: string) => boolean,
  timeoutMs = 2000,
): Promise<{ text: string; done: boolean }> {
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + timeoutMs;
  while (!until(text)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(text)}`);
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      reader.read(),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), left);
      }),
    ]);
    clearTimeout(timer);
    if (next === 'timeout') continue;
    if (next.done) return { text, done: true };
    text += decoder.decode(next.value, { stream: true });
  }
  return { text, done: false };
}

describe('formatServerSentEvent', () => {
  it('writes event, id, retry and one data line per line, ending with a blank line', () => {
    expect(formatServerSentEvent({ event: 'deploy', id: '7', retryMs: 500, data: 'a\nb\r\nc' })).toBe(
      'event: deploy\nid: 7\nretry: 500\ndata: a\ndata: b\ndata: c\n\n',
    );
    expect(formatServerSentEvent({ data: { app: 'web' } })).toBe('data: {"app":"web"}\n\n');
    expect(formatServerSentEvent({ event: 'ping' })).toBe('event: ping\ndata: \n\n');
  });

  it('refuses fields that would inject lines with TypeError', () => {
    expect(() => formatServerSentEvent({ event: 'a\nid: x' })).toThrow(TypeError);
    expect(() => formatServerSentEvent({ id: 'a\rb' })).toThrow(TypeError);
    expect(() => formatServerSentEvent({ id: 'a\u0000' })).toThrow(TypeError);
    expect(() => formatServerSentEvent({ retryMs: -1 })).toThrow(TypeError);
    expect(() => formatServerSentEvent({ data: () => 1 })).toThrow(TypeError);
  });
});

describe('createEventStream', () => {
  it('answers 200 text/event-stream that is not cached or buffered', () => {
    const { lease, abort } = testLease();
    const response = createEventStream(lease, {
      headers: { 'x-request-id': 'r1', 'Content-Type': 'text/html' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    expect(response.headers.get('x-request-id')).toBe('r1');
    abort();
  });

  it('sends a heartbeat event at least every heartbeatMs', async () => {
    const { lease, abort } = testLease();
    const reader = createEventStream(lease, {
      heartbeatMs: 20,
    }).body?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    const started = Date.now();
    const { text } = await readUntil(reader, (t) => t.includes('"seq":3'));
    expect(text.startsWith(':\n\n')).toBe(true);
    expect(text).toContain('event: heartbeat\ndata: {"seq":1}\n\n');
    expect(Date.now() - started).toBeLessThan(1000);
    abort();
  });

  it('can send the heartbeat as a comment instead', async () => {
    const { lease, abort } = testLease();
    const reader = createEventStream(lease, {
      heartbeatMs: 10,
      heartbeat: 'comment',
      retryMs: 1500,
    }).body?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    const { text } = await readUntil(reader, (t) => t.split(':\n\n').length > 3);
    expect(text.startsWith('retry: 1500\n\n')).toBe(true);
    expect(text).not.toContain('heartbeat');
    abort();
  });

  it('sends an end event with the code on abort, closes, and releases once', async () => {
    const { lease, abort, release } = testLease();
    const onEnd = vi.fn<(reason: EventStreamEndReason) => void>();
    const reader = createEventStream(lease, {
      heartbeatMs: 50,
      onEnd,
    }).body?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    await readUntil(reader, (t) => t.length > 0);
    abort(new SessionRevokedError('logout'));
    const { text, done } = await readUntil(reader, () => false);
    expect(done).toBe(true);
    expect(text).toContain('event: end\ndata: {"code":"SESSION_REVOKED","message":"session revoked"}\n\n');
    expect(release).toHaveBeenCalledTimes(1);
    expect(onEnd).toHaveBeenCalledWith('aborted');
  });

  it('ends at once, with its end event, on a lease aborted before the stream opened', async () => {
    const { lease, abort, release } = testLease();
    abort(new Error('secret detail'));
    const produce = vi.fn();
    const { text, done } = await readUntil(
      createEventStream(lease, { produce }).body?.getReader() as ReadableStreamDefaultReader<Uint8Array>,
      () => false,
    );
    expect(done).toBe(true);
    expect(text).toBe(':\n\nevent: end\ndata: {"code":"INTERNAL","message":"internal error"}\n\n');
    expect(release).toHaveBeenCalledTimes(1);
    expect(produce).not.toHaveBeenCalled();
  });

  it('releases once and stops the producer when the consumer cancels', async () => {
    const { lease, abort, release } = testLease();
    let producerSignal: AbortSignal | undefined;
    const onEnd = vi.fn<(reason: EventStreamEndReason) => void>();
    const response = createEventStream(lease, {
      heartbeatMs: 10,
      onEnd,
      produce: (sink) => {
        producerSignal = sink.signal;
        sink.send({ event: 'ready', data: { user: 'ada' } });
      },
    });
    const reader = response.body?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    const { text } = await readUntil(reader, (t) => t.includes('ready'));
    expect(text).toContain('event: ready\ndata: {"user":"ada"}\n\n');
    await reader.cancel();
    expect(release).toHaveBeenCalledTimes(1);
    expect(producerSignal?.aborted).toBe(true);
    expect(onEnd).toHaveBeenCalledWith('client-gone');
    abort();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('lets the producer close the stream, and reports a failing producer as an end event', async () => {
    const closing = testLease();
    const closed = createEventStream(closing.lease, { produce: (sink) => sink.close() });
    expect(await closed.text()).toBe(':\n\n');
    expect(closing.release).toHaveBeenCalledTimes(1);

    const failing = testLease();
    const failed = createEventStream(failing.lease, {
      produce: async () => {
        throw new Error('db password=hunter2');
      },
    });
    const text = await failed.text();
    expect(text).toContain('event: end\ndata: {"code":"INTERNAL","message":"internal error"}');
    expect(text).not.toContain('hunter2');
    expect(failing.release).toHaveBeenCalledTimes(1);
  });

  it('refuses sends after the end', async () => {
    const { lease, abort } = testLease();
    let send: ((data: string) => boolean) | undefined;
    const response = createEventStream(lease, {
      produce: (sink) => {
        send = (data) => sink.send({ data });
      },
    });
    expect(send?.('a')).toBe(true);
    abort();
    expect(send?.('b')).toBe(false);
    expect(await response.text()).not.toContain('data: b');
  });

  it('drops the stream of a client that reads nothing once maxBufferedBytes wait', async () => {
    const { lease, release } = testLease();
    const onEnd = vi.fn<(reason: EventStreamEndReason) => void>();
    const response = createEventStream(lease, {
      maxBufferedBytes: 1024,
      onEnd,
      produce: (sink) => {
        for (let i = 0; i < 100 && sink.send({ data: 'x'.repeat(100) }); i++);
      },
    });
    expect(onEnd).toHaveBeenCalledWith('overflow');
    expect(release).toHaveBeenCalledTimes(1);
    await expect(response.text()).rejects.toThrow();
  });

  it('throws TypeError for a bad lease or options', () => {
    const { lease } = testLease();
    expect(() => createEventStream({} as never)).toThrow(TypeError);
    expect(() => createEventStream({ release() {} } as never)).toThrow(TypeError);
    expect(() => createEventStream(lease, { heartbeatMs: 0 })).toThrow(TypeError);
    expect(() => createEventStream(lease, { heartbeatMs: 1.5 })).toThrow(TypeError);
    expect(() => createEventStream(lease, { heartbeat: 'none' as never })).toThrow(TypeError);
    expect(() => createEventStream(lease, { maxBufferedBytes: 0 })).toThrow(TypeError);
    expect(() => createEventStream(lease, { produce: 'x' as never })).toThrow(TypeError);
  });
});
