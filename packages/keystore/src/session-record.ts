import { InternalError } from '@latchkey/errors';
import { z } from 'zod';

/** The target a session is bound to. */
export interface SessionTarget {
  /** DNS-1123 label. */
  readonly namespace: string;
  /** DNS-1123 label. */
  readonly name: string;
  /** Resource kind, e.g. `AgentRuntime`: 1 to 63 letters and digits, starting with a letter. */
  readonly kind: string;
}

/** What the store keeps about a session besides its private key. */
export interface SessionRecord {
  readonly target: SessionTarget;
  /** Base URL of the session's sandbox (`http:` or `https:`), at most 2048 characters. */
  readonly endpoint: string;
  /** How the session authenticates to its sandbox, e.g. `session-token`: 1 to 64 of `a-z 0-9 - _ .`. */
  readonly authMode: string;
  /** Creation time, epoch milliseconds. */
  readonly createdAt: number;
  /**
   * Absolute end of the session, epoch milliseconds (≥ `createdAt`). The store's TTL is the idle limit
   * that `touch` extends; `getRecord` returns `null` once `expiresAt` has passed, whatever the TTL.
   */
  readonly expiresAt: number;
}

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const epochMs = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const recordSchema = z
  .strictObject({
    target: z.strictObject({
      namespace: z.string().regex(DNS_LABEL),
      name: z.string().regex(DNS_LABEL),
      kind: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,62}$/),
    }),
    endpoint: z
      .string()
      .max(2048)
      .refine((value) => {
        if (!URL.canParse(value)) return false;
        const { protocol } = new URL(value);
        return protocol === 'http:' || protocol === 'https:';
      }),
    authMode: z.string().regex(/^[a-z0-9._-]{1,64}$/),
    createdAt: epochMs,
    expiresAt: epochMs,
  })
  .refine((record) => record.expiresAt >= record.createdAt);

/**
 * Validates a record before it is written and serialises it (fields in a fixed order).
 *
 * @throws TypeError for a record that is not well formed: the caller builds records, so this is a bug.
 * @example
 * ```ts
 * const json = serializeRecord(record);
 * ```
 */
export function serializeRecord(record: SessionRecord): string {
  const parsed = recordSchema.safeParse(record);
  if (!parsed.success) throw new TypeError('invalid session record');
  const { target, endpoint, authMode, createdAt, expiresAt } = parsed.data;
  return JSON.stringify({
    target: { namespace: target.namespace, name: target.name, kind: target.kind },
    endpoint,
    authMode,
    createdAt,
    expiresAt,
  });
}

/**
 * Parses and validates a stored record. A value that does not parse is corrupt (or foreign), which the
 * store cannot repair: it is an `InternalError` (500), never a half-read record and never "not found".
 *
 * @example
 * ```ts
 * const record = parseRecord(await driver.read(names.record));
 * ```
 */
export function parseRecord(text: string): SessionRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InternalError({ cause: error });
  }
  const parsed = recordSchema.safeParse(value);
  if (!parsed.success)
    throw new InternalError({ cause: new Error('stored session record fails its schema') });
  return Object.freeze({ ...parsed.data, target: Object.freeze({ ...parsed.data.target }) });
}
