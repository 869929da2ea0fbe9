import { LatchkeyError, StoreUnavailableError } from '@latchkey/errors';

/** Revoked token ids, each kept until its token would have expired anyway. */
export interface Denylist {
  /** Revokes `jti` until `expiresAt` (milliseconds since the epoch). */
  add(jti: string, expiresAt: number): Promise<void>;
  /** Whether `jti` is revoked. Rejects with `STORE_UNAVAILABLE` when the store cannot answer. */
  has(jti: string): Promise<boolean>;
}

/**
 * An in-process denylist (single console instance). Expired entries are dropped on write.
 *
 * @example
 * ```ts
 * const denylist = memoryDenylist();
 * await denylist.add(identity.jti, identity.expiresAt);
 * ```
 */
export function memoryDenylist(now: () => number = Date.now): Denylist {
  const entries = new Map<string, number>();
  return {
    async add(jti, expiresAt) {
      const t = now();
      for (const [key, until] of entries) if (until <= t) entries.delete(key);
      if (expiresAt > t) entries.set(jti, expiresAt);
    },
    async has(jti) {
      const until = entries.get(jti);
      return until !== undefined && until > now();
    },
  };
}

/** The two commands the Redis denylist needs; ioredis, iovalkey and their `Cluster` all have them. */
export interface DenylistClient {
  set(key: string, value: string, px: 'PX', ttlMs: number): Promise<unknown>;
  exists(key: string): Promise<number>;
}

async function guarded<T>(call: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      call(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new StoreUnavailableError('timeout')), timeoutMs);
      }),
    ]);
  } catch (error) {
    // A store that cannot answer is never read as "not revoked".
    if (LatchkeyError.is(error)) throw error;
    throw new StoreUnavailableError('connection', { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A denylist in Redis / Valkey (standalone or cluster), shared by every console instance: one key
 * per revoked `jti`, expiring with the token.
 *
 * @example
 * ```ts
 * const denylist = redisDenylist(new Redis(url));
 * ```
 */
export function redisDenylist(
  client: DenylistClient,
  options: { prefix?: string; timeoutMs?: number; now?: () => number } = {},
): Denylist {
  const prefix = options.prefix ?? 'latchkey:console:revoked:';
  const timeoutMs = options.timeoutMs ?? 1_000;
  const now = options.now ?? Date.now;
  return {
    async add(jti, expiresAt) {
      const ttl = Math.ceil(expiresAt - now());
      if (ttl <= 0) return;
      await guarded(() => client.set(prefix + jti, '1', 'PX', ttl), timeoutMs);
    },
    async has(jti) {
      return (await guarded(() => client.exists(prefix + jti), timeoutMs)) > 0;
    },
  };
}
