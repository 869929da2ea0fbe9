import { describe, expect, it } from 'vitest';
import { createSessionSlots } from './session-slots.js';

describe('createSessionSlots', () => {
  it('uses the contract defaults: 1000 in all, 100 per client', () => {
    const slots = createSessionSlots();
    for (let i = 0; i < 100; i++) slots.acquire('a');
    expect(() => slots.acquire('a')).toThrow(
      expect.objectContaining({ code: 'TOO_MANY_SESSIONS', status: 429 }),
    );
    for (let client = 0; client < 9; client++) for (let i = 0; i < 100; i++) slots.acquire(`c${client}`);
    expect(slots.count()).toBe(1_000);
    expect(() => slots.acquire('z')).toThrow(
      expect.objectContaining({
        code: 'CAPACITY_EXHAUSTED',
        status: 503,
        reason: 'sessions-full',
        retryAfterSeconds: 1,
      }),
    );
  });

  it('refuses a bound that is not a positive integer with a TypeError', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => createSessionSlots({ maxSessions: bad })).toThrow(TypeError);
      expect(() => createSessionSlots({ maxSessionsPerClient: bad })).toThrow(TypeError);
    }
  });
});
