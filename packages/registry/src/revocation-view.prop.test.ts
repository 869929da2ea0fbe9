import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { createRevocationView } from './revocation-view.js';

const KEEP = 1_000;
const T0 = 1_700_000_000_000;
const user = fc.constantFrom('u0', 'u1', 'u2', 'u3', 'u4', 'u5');

type Step =
  | { kind: 'revoke'; userId: string; lost: boolean }
  | { kind: 'check'; userId: string; ageMs: number }
  | { kind: 'advance'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('revoke' as const), userId: user, lost: fc.boolean() }),
  fc.record({
    kind: fc.constant('check' as const),
    userId: user,
    ageMs: fc.integer({ min: -5, max: 3 * KEEP }),
  }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: KEEP / 2 }) }),
);

describe('createRevocationView with a shared store', () => {
  test.prop([fc.array(step, { maxLength: 120 }), fc.integer({ min: 1, max: 4 })], { numRuns: 1_000 })(
    'never allows a revoked credential, never refuses an unexpired valid one, however small the table',
    (steps, maxEntries) => {
      let now = T0;
      // The store: every logout, kept KEEP ms (the truth).
      const store = new Map<string, { at: number; writtenAt: number }>();
      const stored = (userId: string): number | undefined => {
        const entry = store.get(userId);
        return entry !== undefined && now - entry.writtenAt < KEEP ? entry.at : undefined;
      };
      const view = createRevocationView({ keepMs: KEEP, maxEntries, now: () => now, shared: true });
      view.resume();
      for (const s of steps) {
        if (s.kind === 'advance') now += s.ms;
        else if (s.kind === 'revoke') {
          const previous = stored(s.userId);
          if (previous === undefined || previous < now) store.set(s.userId, { at: now, writtenAt: now });
          if (s.lost) {
            // A lost message, noticed as a gap.
            view.lose();
            view.resume();
          } else {
            view.record(s.userId, now);
          }
        } else {
          const issuedAtMs = now - s.ageMs;
          const truth = stored(s.userId);
          const revoked = truth !== undefined && issuedAtMs <= truth;
          const local = view.decide(s.userId, issuedAtMs);
          // A watermark learnt from the store is kept KEEP from the read, so it may outlive the stored
          // one; it can then only refuse credentials older than KEEP, which have expired anyway.
          const expectOk = (ok: boolean): void => {
            if (revoked) expect(ok).toBe(false);
            else if (s.ageMs < KEEP) expect(ok).toBe(true);
          };
          if (local !== undefined) {
            expectOk(local.ok);
            continue;
          }
          const epoch = view.epoch;
          const answer = view.decideWith(s.userId, issuedAtMs, truth);
          view.learn(s.userId, truth, epoch);
          expectOk(answer.ok);
        }
      }
    },
  );
});

describe('createRevocationView without a shared store', () => {
  test.prop([fc.array(step, { maxLength: 120 }), fc.integer({ min: 1, max: 4 })], { numRuns: 500 })(
    'never allows a revoked credential; a refusal of a valid one is only ever the floor (CAPACITY_EXHAUSTED)',
    (steps, maxEntries) => {
      let now = T0;
      const truth = new Map<string, { at: number; writtenAt: number }>();
      const view = createRevocationView({ keepMs: KEEP, maxEntries, now: () => now, shared: false });
      for (const s of steps) {
        if (s.kind === 'advance') now += s.ms;
        else if (s.kind === 'revoke') {
          truth.set(s.userId, { at: now, writtenAt: now });
          view.record(s.userId, now);
        } else {
          const issuedAtMs = now - s.ageMs;
          const entry = truth.get(s.userId);
          const revoked = entry !== undefined && now - entry.writtenAt < KEEP && issuedAtMs <= entry.at;
          const decision = view.decide(s.userId, issuedAtMs);
          expect(decision).toBeDefined();
          if (revoked) expect(decision?.ok).toBe(false);
          else if (decision?.ok === false) expect(decision.code).toBe('CAPACITY_EXHAUSTED');
          if (maxEntries >= 6) expect(decision?.ok).toBe(!revoked);
        }
      }
    },
  );
});
