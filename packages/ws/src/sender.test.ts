import { describe, expect, it, vi } from 'vitest';
import { createSender, type SendSocket } from './sender.js';

function fakeSocket(): SendSocket & { sent: unknown[]; bufferedAmount: number } {
  const socket = {
    bufferedAmount: 0,
    readyState: 1,
    sent: [] as unknown[],
    send(data: string | Uint8Array) {
      socket.sent.push(data);
      socket.bufferedAmount += typeof data === 'string' ? data.length : data.byteLength;
    },
  };
  return socket;
}

describe('createSender', () => {
  it('sends in order and lets the producer go on below the high-water mark', () => {
    const socket = fakeSocket();
    const sender = createSender(socket, { highWaterMarkBytes: 10, onOverflow: () => undefined });
    expect(sender.send('a')).toBe(true);
    expect(sender.send('b')).toBe(true);
    expect(socket.sent).toEqual(['a', 'b']);
    expect(sender.paused).toBe(false);
  });

  it('pauses the producer above the mark and resumes it once drained', async () => {
    const socket = fakeSocket();
    const sender = createSender(socket, {
      highWaterMarkBytes: 10,
      pollIntervalMs: 5,
      onOverflow: () => undefined,
    });
    expect(sender.send('x'.repeat(11))).toBe(false);
    expect(sender.paused).toBe(true);
    let resumed = false;
    const ready = sender.ready().then(() => {
      resumed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(resumed).toBe(false);
    socket.bufferedAmount = 0;
    await ready;
    expect(sender.paused).toBe(false);
    sender.close();
  });

  it('calls onOverflow once when the consumer stays above the mark past the stall timeout', async () => {
    const socket = fakeSocket();
    const onOverflow = vi.fn();
    const sender = createSender(socket, {
      highWaterMarkBytes: 10,
      stallTimeoutMs: 30,
      pollIntervalMs: 5,
      onOverflow,
    });
    sender.send('x'.repeat(11));
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(onOverflow).toHaveBeenCalledTimes(1);
    expect(sender.send('y')).toBe(false);
    expect(socket.sent).toHaveLength(1);
    await sender.ready();
  });

  it('calls onOverflow at once past the hard mark', () => {
    const socket = fakeSocket();
    const onOverflow = vi.fn();
    const sender = createSender(socket, { highWaterMarkBytes: 10, hardMarkBytes: 20, onOverflow });
    sender.send('x'.repeat(21));
    expect(onOverflow).toHaveBeenCalledTimes(1);
  });

  it('drops sends on a socket that is not open', () => {
    const socket = { ...fakeSocket(), readyState: 2 };
    const sender = createSender(socket, { onOverflow: () => undefined });
    expect(sender.send('a')).toBe(false);
  });

  it('throws a TypeError for a hard mark below the high-water mark', () => {
    expect(() =>
      createSender(fakeSocket(), { highWaterMarkBytes: 10, hardMarkBytes: 5, onOverflow: () => undefined }),
    ).toThrow(TypeError);
  });
});
