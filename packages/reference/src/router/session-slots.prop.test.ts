import { fc, test } from '@fast-check/vitest';
import { LatchkeyError } from '@latchkey/errors';
import { describe, expect } from 'vitest';
import { createSessionSlots, type SessionSlot } from './session-slots.js';

type Step =
  | { readonly op: 'acquire'; readonly client: number }
  | { readonly op: 'release'; readonly pick: number };

const steps = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('acquire' as const), client: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ op: fc.constant('release' as const), pick: fc.nat() }),
  ),
  { maxLength: 120 },
);

describe('createSessionSlots', () => {
  test.prop([fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 6 }), steps])(
    'matches a model: never more than the bounds, the per-client refusal first, a release frees exactly one slot once',
    (maxSessions, maxSessionsPerClient, sequence: Step[]) => {
      const slots = createSessionSlots({ maxSessions, maxSessionsPerClient });
      const held: SessionSlot[] = [];
      const model = new Map<string, number>();
      let total = 0;
      for (const step of sequence) {
        if (step.op === 'acquire') {
          const client = `10.0.0.${step.client}`;
          const mine = model.get(client) ?? 0;
          const expected =
            mine >= maxSessionsPerClient
              ? 'TOO_MANY_SESSIONS'
              : total >= maxSessions
                ? 'CAPACITY_EXHAUSTED'
                : 'ok';
          try {
            held.push(slots.acquire(client));
            expect(expected).toBe('ok');
            model.set(client, mine + 1);
            total++;
          } catch (error) {
            expect(LatchkeyError.is(error) ? error.code : error).toBe(expected);
          }
        } else if (held.length > 0) {
          const slot = held[step.pick % held.length] as SessionSlot;
          // Releasing twice (the same slot picked again later, or here) changes nothing the second time.
          slot.release();
          slot.release();
          held.splice(held.indexOf(slot), 1);
          model.set(slot.client, (model.get(slot.client) ?? 1) - 1);
          total--;
        }
        expect(slots.count()).toBe(total);
        for (const [client, count] of model) expect(slots.count(client)).toBe(count);
      }
    },
  );
});
