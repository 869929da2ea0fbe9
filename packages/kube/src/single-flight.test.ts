import { describe, expect, it } from 'vitest';
import { createSingleFlight } from './single-flight.js';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('createSingleFlight', () => {
  it('runs one task for concurrent callers of one key', async () => {
    const flights = createSingleFlight<number>(4);
    let started = 0;
    const gate = deferred<number>();
    const task = (): Promise<number> => {
      started++;
      return gate.promise;
    };
    const all = Promise.all([flights.run('k', task), flights.run('k', task), flights.run('k', task)]);
    gate.resolve(7);
    expect(await all).toEqual([7, 7, 7]);
    expect(started).toBe(1);
    expect(flights.inFlight).toBe(0);
  });

  it('lets one caller abort without cancelling the task for the others', async () => {
    const flights = createSingleFlight<number>(4);
    const gate = deferred<number>();
    const controller = new AbortController();
    const aborted = flights.run('k', () => gate.promise, controller.signal);
    const other = flights.run('k', () => gate.promise);
    controller.abort(new Error('client went away'));
    await expect(aborted).rejects.toThrow('client went away');
    gate.resolve(1);
    expect(await other).toBe(1);
  });

  it('answers CAPACITY_EXHAUSTED beyond maxInFlight distinct tasks', async () => {
    const flights = createSingleFlight<number>(2);
    const gate = deferred<number>();
    const a = flights.run('a', () => gate.promise);
    const b = flights.run('b', () => gate.promise);
    await expect(flights.run('c', () => gate.promise)).rejects.toMatchObject({
      code: 'CAPACITY_EXHAUSTED',
      status: 503,
      reason: 'reviews-in-flight',
    });
    // Joining a running key needs no new slot.
    const joined = flights.run('a', () => gate.promise);
    gate.resolve(3);
    expect(await Promise.all([a, b, joined])).toEqual([3, 3, 3]);
  });

  it('starts a fresh task once the previous one settled, even after a failure', async () => {
    const flights = createSingleFlight<number>(2);
    await expect(flights.run('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await flights.run('k', () => Promise.resolve(2))).toBe(2);
  });
});
