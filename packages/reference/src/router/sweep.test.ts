import { StoreUnavailableError } from '@latchkey/errors';
import { describe, expect, it } from 'vitest';
import { sessionFingerprint } from '../fingerprint.js';
import type { LogFields, Logger } from '../log.js';
import { createSessionSweeper, type SessionSweeperOptions } from './sweep.js';

interface Line {
  readonly level: string;
  readonly event: string;
  readonly fields: LogFields;
}

function recorder(): { log: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const push =
    (level: string) =>
    (event: string, fields: LogFields = {}): void => {
      lines.push({ level, event, fields });
    };
  return { log: { info: push('info'), warn: push('warn'), error: push('error') }, lines };
}

const base = (overrides: Partial<SessionSweeperOptions>): SessionSweeperOptions => ({
  candidates: () => [],
  exists: async () => true,
  retire: async () => undefined,
  log: recorder().log,
  intervalMs: 0,
  concurrency: 4,
  ...overrides,
});

describe('createSessionSweeper', () => {
  it('keeps a session whose read fails with anything but an answer, and logs one sweep-failed line', async () => {
    const { log, lines } = recorder();
    const retired: string[] = [];
    const sweeper = createSessionSweeper(
      base({
        candidates: () => ['a', 'b', 'c'],
        exists: async (id) => {
          if (id === 'c') return false;
          throw new TypeError('boom');
        },
        retire: async (id) => {
          retired.push(id);
        },
        log,
      }),
    );
    expect(await sweeper.sweep()).toEqual({ checked: 1, stopped: 1, unanswered: 2 });
    expect(retired).toEqual(['c']);
    expect(lines.filter((line) => line.level !== 'info')).toEqual([
      {
        level: 'warn',
        event: 'sweep-failed',
        fields: expect.objectContaining({ during: 'sweep', unanswered: 2 }),
      },
    ]);
  });

  it('logs a store that cannot answer as store-unavailable with its reason, once', async () => {
    const { log, lines } = recorder();
    const sweeper = createSessionSweeper(
      base({
        candidates: () => ['a', 'b'],
        exists: async () => {
          throw new StoreUnavailableError('cluster-down');
        },
        log,
      }),
    );
    expect(await sweeper.sweep()).toEqual({ checked: 0, stopped: 0, unanswered: 2 });
    expect(lines).toEqual([
      {
        level: 'warn',
        event: 'store-unavailable',
        fields: expect.objectContaining({ code: 'STORE_UNAVAILABLE', reason: 'cluster-down', unanswered: 2 }),
      },
    ]);
  });

  it('logs a sandbox that fails to stop and goes on with the others', async () => {
    const { log, lines } = recorder();
    const sweeper = createSessionSweeper(
      base({
        candidates: () => ['a', 'b'],
        exists: async () => false,
        retire: async (id) => {
          if (id === 'a') throw new Error('close failed');
        },
        log,
        concurrency: 1,
      }),
    );
    expect(await sweeper.sweep()).toEqual({ checked: 2, stopped: 1, unanswered: 0 });
    expect(lines.map((line) => [line.event, line.fields.session])).toEqual([
      ['sandbox-stop-failed', sessionFingerprint('a')],
      ['session-swept', sessionFingerprint('b')],
    ]);
  });

  it('never rejects: a failing candidate list is logged and the sweep reports nothing', async () => {
    const { log, lines } = recorder();
    const sweeper = createSessionSweeper(
      base({
        candidates: () => {
          throw new Error('no list');
        },
        log,
      }),
    );
    expect(await sweeper.sweep()).toEqual({ checked: 0, stopped: 0, unanswered: 0 });
    expect(lines.map((line) => line.event)).toEqual(['sweep-failed']);
    // and the next sweep runs again
    expect(await sweeper.sweep()).toEqual({ checked: 0, stopped: 0, unanswered: 0 });
    expect(lines).toHaveLength(2);
  });

  it('stops no sandbox once closed, even for a read that was in flight', async () => {
    let answer = (_present: boolean): void => undefined;
    const retired: string[] = [];
    const sweeper = createSessionSweeper(
      base({
        candidates: () => ['a'],
        exists: () =>
          new Promise<boolean>((resolve) => {
            answer = resolve;
          }),
        retire: async (id) => {
          retired.push(id);
        },
      }),
    );
    const sweep = sweeper.sweep();
    sweeper.close();
    answer(false);
    expect(await sweep).toEqual({ checked: 1, stopped: 0, unanswered: 0 });
    expect(retired).toEqual([]);
  });
});
