import { describe, expect, it } from 'vitest';
import { createDeadlines, storeFailureReason, toStoreError } from './store-failure.js';

const withCode = (code: string): Error => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
const named = (name: string, message = ''): Error => Object.assign(new Error(message), { name });

describe('storeFailureReason', () => {
  it.each([
    [withCode('ECONNREFUSED'), 'connection'],
    [withCode('ECONNRESET'), 'connection'],
    [named('MaxRetriesPerRequestError', 'Reached the max retries per request limit'), 'connection'],
    [new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'connection'],
    [new Error('CLUSTERDOWN The cluster is down'), 'cluster-down'],
    [named('ClusterAllFailedError', 'Failed to refresh slots cache.'), 'cluster-down'],
    [new Error('MOVED 3999 127.0.0.1:6381'), 'redirect'],
    [new Error('ASK 3999 127.0.0.1:6381'), 'redirect'],
    [
      Object.assign(new Error('Too many Cluster redirections. Last error: Error: MOVED'), {
        lastNodeError: new Error('MOVED 1 x:1'),
      }),
      'redirect',
    ],
    [
      Object.assign(new Error('Too many Cluster redirections. Last error: CLUSTERDOWN'), {
        lastNodeError: new Error('CLUSTERDOWN The cluster is down'),
      }),
      'cluster-down',
    ],
    [new Error('Connection is closed.'), 'closed'],
    [new Error('Command timed out'), 'timeout'],
    [new Error('CROSSSLOT Keys in request do not hash to the same slot'), 'unexpected-reply'],
    ['a string', 'unexpected-reply'],
  ] as const)('classifies %s as %s', (error, reason) => {
    expect(storeFailureReason(error)).toBe(reason);
    expect(toStoreError(error)).toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503, reason });
  });
});

describe('createDeadlines', () => {
  it('answers STORE_UNAVAILABLE (timeout) at the deadline, and observes a later rejection', async () => {
    let rejectLater: (error: Error) => void = () => {};
    const started = performance.now();
    await expect(
      createDeadlines(50).run(() => new Promise((_, reject) => (rejectLater = reject))),
    ).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      reason: 'timeout',
    });
    expect(performance.now() - started).toBeLessThan(500);
    rejectLater(new Error('late')); // vitest fails the run on an unhandled rejection
    await new Promise((resolve) => setTimeout(resolve, 10));
  });

  it('maps a synchronous throw to STORE_UNAVAILABLE', async () => {
    await expect(
      createDeadlines(50).run(() => {
        throw withCode('ECONNREFUSED');
      }),
    ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', reason: 'connection' });
  });

  it('times out each of many calls, in order, and keeps later ones alive', async () => {
    const deadlines = createDeadlines(40);
    const hung = deadlines.run(() => new Promise<never>(() => {}));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const quick = deadlines.run(() => new Promise<string>((resolve) => setTimeout(() => resolve('ok'), 30)));
    await expect(hung).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', reason: 'timeout' });
    expect(await quick).toBe('ok');
  });

  it('settles calls out of order and still times out the one left in the middle', async () => {
    const deadlines = createDeadlines(40);
    const resolvers: Array<(value: number) => void> = [];
    const calls = [0, 1, 2, 3].map((i) =>
      deadlines.run(() => new Promise<number>((resolve) => (resolvers[i] = resolve))),
    );
    resolvers[2]?.(2);
    resolvers[0]?.(0);
    resolvers[3]?.(3);
    expect(await calls[0]).toBe(0);
    expect(await calls[2]).toBe(2);
    expect(await calls[3]).toBe(3);
    await expect(calls[1]).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', reason: 'timeout' });
    resolvers[1]?.(1); // too late: ignored, never a second settlement
    expect(await deadlines.run(async () => 7)).toBe(7);
  });

  it('returns the value of a call within the deadline', async () => {
    expect(await createDeadlines(50).run(async () => 42)).toBe(42);
  });

  it('maps the value with onValue; an error it throws rejects as it is, not as a store failure', async () => {
    const deadlines = createDeadlines(50);
    expect(
      await deadlines.run(
        async () => '21',
        (text) => Number(text) * 2,
      ),
    ).toBe(42);
    const parseError = new SyntaxError('bad reply');
    await expect(
      deadlines.run(
        async () => 'x',
        () => {
          throw parseError;
        },
      ),
    ).rejects.toBe(parseError);
  });

  it('never calls onValue for a call that already timed out', async () => {
    let resolveLater: (value: string) => void = () => {};
    const seen: string[] = [];
    const call = createDeadlines(30).run(
      () => new Promise<string>((resolve) => (resolveLater = resolve)),
      (value) => seen.push(value),
    );
    await expect(call).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', reason: 'timeout' });
    resolveLater('late');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual([]);
  });
});
