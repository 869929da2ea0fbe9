import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHeartbeat, DEFAULT_MAX_MISSED_PONGS, DEFAULT_PING_INTERVAL_MS } from './heartbeat.js';

class FakeSocket extends EventEmitter {
  pings = 0;
  ping(): void {
    this.pings++;
  }
}

describe('createHeartbeat', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pings every interval and reports a socket dead after the missed pongs, once', () => {
    const heartbeat = createHeartbeat({ intervalMs: 100, maxMissedPongs: 2 });
    const socket = new FakeSocket();
    const onDead = vi.fn();
    heartbeat.add(socket, onDead);
    vi.advanceTimersByTime(200);
    expect(socket.pings).toBe(2);
    expect(onDead).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(onDead).toHaveBeenCalledTimes(1);
    expect(onDead).toHaveBeenCalledWith(socket);
    vi.advanceTimersByTime(1_000);
    expect(onDead).toHaveBeenCalledTimes(1);
    expect(heartbeat.size).toBe(0);
  });

  it('keeps a socket that answers alive, beside one that does not', () => {
    const heartbeat = createHeartbeat({ intervalMs: 100, maxMissedPongs: 1 });
    const alive = new FakeSocket();
    const silent = new FakeSocket();
    const onDead = vi.fn();
    heartbeat.add(alive, onDead);
    heartbeat.add(silent, onDead);
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(100);
      alive.emit('pong');
    }
    expect(onDead).toHaveBeenCalledTimes(1);
    expect(onDead).toHaveBeenCalledWith(silent);
    expect(alive.pings).toBe(20);
    heartbeat.close();
  });

  it('stops watching a deleted socket and removes its pong listener', () => {
    const heartbeat = createHeartbeat({ intervalMs: 100, maxMissedPongs: 1 });
    const socket = new FakeSocket();
    heartbeat.add(socket, () => undefined);
    heartbeat.delete(socket);
    vi.advanceTimersByTime(1_000);
    expect(socket.pings).toBe(0);
    expect(socket.listenerCount('pong')).toBe(0);
  });

  it('throws a TypeError for a socket added twice, or after close', () => {
    const heartbeat = createHeartbeat();
    const socket = new FakeSocket();
    heartbeat.add(socket, () => undefined);
    expect(() => heartbeat.add(socket, () => undefined)).toThrow(TypeError);
    heartbeat.close();
    expect(() => heartbeat.add(new FakeSocket(), () => undefined)).toThrow(TypeError);
  });

  it('finds a silent peer within the contract’s 30 s and pings at least every 5 s by default', () => {
    expect(DEFAULT_PING_INTERVAL_MS).toBeLessThanOrEqual(5_000);
    expect(DEFAULT_PING_INTERVAL_MS * (DEFAULT_MAX_MISSED_PONGS + 1)).toBeLessThanOrEqual(30_000);
  });

  it('throws a TypeError for a non-positive interval', () => {
    expect(() => createHeartbeat({ intervalMs: 0 })).toThrow(TypeError);
  });
});
