import { CapacityExhaustedError, TooManySessionsError } from '@latchkey/errors';

/** A reserved place for one live session; `release` is bound and idempotent. */
export interface SessionSlot {
  readonly client: string;
  release(): void;
}

/** The router's bound on live sessions with a sandbox: in all, and per client. */
export interface SessionSlots {
  /**
   * Reserves a slot for a new session of `client`, or throws: 429 `TOO_MANY_SESSIONS` when the client
   * holds its share, 503 `CAPACITY_EXHAUSTED` (`sessions-full`, with `Retry-After`) when the router is full.
   */
  acquire(client: string): SessionSlot;
  /** Live sessions, in all or of one client. O(1). */
  count(client?: string): number;
}

/** Options of {@link createSessionSlots}. */
export interface SessionSlotsOptions {
  /** Live sessions with a sandbox in this router (`LATCHKEY_MAX_SESSIONS`); default 1000. */
  readonly maxSessions?: number;
  /** Live sessions per client (`LATCHKEY_MAX_SESSIONS_PER_CLIENT`); default 100. */
  readonly maxSessionsPerClient?: number;
}

const DEFAULT_MAX_SESSIONS = 1_000;
const DEFAULT_MAX_SESSIONS_PER_CLIENT = 100;

function bound(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer`);
  return value;
}

/**
 * Counts live sessions per client and in all, each O(1): a session reserves its slot before anything
 * is spent on it (key pair, sandbox, signature) and releases it when its sandbox goes (DELETE, a
 * session found gone, the sweep, a failed creation), so a DELETE frees its slot at once. Fails closed:
 * a full router refuses, it never evicts a live session.
 *
 * @example
 * ```ts
 * const slots = createSessionSlots({ maxSessions: 1000, maxSessionsPerClient: 100 });
 * const slot = slots.acquire(remoteAddress);
 * ```
 */
export function createSessionSlots(options: SessionSlotsOptions = {}): SessionSlots {
  const maxSessions = bound('maxSessions', options.maxSessions ?? DEFAULT_MAX_SESSIONS);
  const maxPerClient = bound(
    'maxSessionsPerClient',
    options.maxSessionsPerClient ?? DEFAULT_MAX_SESSIONS_PER_CLIENT,
  );
  const perClient = new Map<string, number>();
  let total = 0;
  return {
    acquire(client) {
      const held = perClient.get(client) ?? 0;
      if (held >= maxPerClient) throw new TooManySessionsError();
      if (total >= maxSessions) throw new CapacityExhaustedError('sessions-full');
      perClient.set(client, held + 1);
      total++;
      let released = false;
      return {
        client,
        release: () => {
          if (released) return;
          released = true;
          total--;
          const left = (perClient.get(client) ?? 1) - 1;
          if (left <= 0) perClient.delete(client);
          else perClient.set(client, left);
        },
      };
    },
    count(client) {
      return client === undefined ? total : (perClient.get(client) ?? 0);
    },
  };
}
