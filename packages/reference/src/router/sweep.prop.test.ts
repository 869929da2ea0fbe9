import { fc, test } from '@fast-check/vitest';
import { StoreUnavailableError } from '@latchkey/errors';
import { describe, expect } from 'vitest';
import { silentLogger } from '../log.js';
import { createSessionSweeper } from './sweep.js';

type Outcome = 'present' | 'gone' | 'unavailable' | 'broken';
const outcome = fc.constantFrom<Outcome>('present', 'gone', 'unavailable', 'broken');

describe('createSessionSweeper', () => {
  test.prop([
    fc.uniqueArray(fc.tuple(fc.uuid(), outcome), { selector: ([id]) => id, maxLength: 40 }),
    fc.integer({ min: 1, max: 8 }),
  ])(
    'stops exactly the sessions the store definitely does not hold, with at most `concurrency` reads at once',
    async (sessions, concurrency) => {
      const answers = new Map(sessions);
      let inFlight = 0;
      let maxInFlight = 0;
      const retired: string[] = [];
      const sweeper = createSessionSweeper({
        candidates: () => answers.keys(),
        exists: async (id) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((resolve) => setImmediate(resolve));
          inFlight--;
          switch (answers.get(id)) {
            case 'present':
              return true;
            case 'gone':
              return false;
            case 'unavailable':
              throw new StoreUnavailableError('timeout');
            default:
              throw new Error('unexpected reply');
          }
        },
        retire: async (id) => {
          retired.push(id);
        },
        log: silentLogger,
        intervalMs: 0,
        concurrency,
      });
      const report = await sweeper.sweep();
      const ids = (wanted: Outcome): string[] =>
        sessions.filter(([, each]) => each === wanted).map(([id]) => id);
      expect(retired.sort()).toEqual(ids('gone').sort());
      expect(report).toEqual({
        checked: ids('present').length + ids('gone').length,
        stopped: ids('gone').length,
        unanswered: ids('unavailable').length + ids('broken').length,
      });
      expect(maxInFlight).toBeLessThanOrEqual(concurrency);
    },
  );
});
