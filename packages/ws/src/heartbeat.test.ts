import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_MAX_MISSED_PONGS, DEFAULT_PING_INTERVAL_MS, startHeartbeat } from './heartbeat.js';

class FakeSocket extends EventEmitter {
  pings = 0;
  ping(): void {
    this.pings++;
  }
}

describe('startHeartbeat', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pings every interval and calls onDead after the missed pongs', () => {
    const socket = new FakeSocket();
    const onDead = vi.fn();
    startHeartbeat(socket, { intervalMs: 100, maxMissedPongs: 2, onDead });
    vi.advanceTimersByTime(200);
    expect(socket.pings).toBe(2);
    expect(onDead).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(onDead).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1_000);
    expect(onDead).toHaveBeenCalledTimes(1);
  });

  it('keeps a peer that answers alive', () => {
    const socket = new FakeSocket();
    const onDead = vi.fn();
    startHeartbeat(socket, { intervalMs: 100, maxMissedPongs: 1, onDead });
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(100);
      socket.emit('pong');
    }
    expect(onDead).not.toHaveBeenCalled();
    expect(socket.pings).toBe(20);
  });

  it('stops when told to', () => {
    const socket = new FakeSocket();
    const onDead = vi.fn();
    const stop = startHeartbeat(socket, { intervalMs: 100, maxMissedPongs: 1, onDead });
    stop();
    vi.advanceTimersByTime(1_000);
    expect(socket.pings).toBe(0);
    expect(socket.listenerCount('pong')).toBe(0);
  });

  it('finds a silent peer within the contract’s 30 s and pings at least every 5 s by default', () => {
    expect(DEFAULT_PING_INTERVAL_MS).toBeLessThanOrEqual(5_000);
    expect(DEFAULT_PING_INTERVAL_MS * (DEFAULT_MAX_MISSED_PONGS + 1)).toBeLessThanOrEqual(30_000);
  });

  it('throws a TypeError for a non-positive interval', () => {
    expect(() => startHeartbeat(new FakeSocket(), { intervalMs: 0, onDead: () => undefined })).toThrow(
      TypeError,
    );
  });
});
