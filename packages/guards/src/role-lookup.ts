import { LatchkeyError, RoleLookupFailedError, UnauthenticatedError } from '@latchkey/errors';
import type { Identity } from './role-guard.js';

/** Finds the role of an authenticated caller, e.g. in a user store. May return a promise. */
export type RoleLookup<I> = (identity: I) => unknown;

/**
 * Resolves the role of `identity` through `lookup`, ready for a guard or a policy table. Fails closed:
 * no identity rejects with `UnauthenticatedError('missing')` (401) without calling `lookup`; a lookup
 * that throws or rejects with `StoreUnavailableError` (503) passes it through, so the client is told to
 * retry; any other failure rejects with `RoleLookupFailedError` (500), the original error as `cause`.
 * A lookup that returns no role resolves to `{ role: undefined }`, which every guard refuses as `unknown-role`.
 *
 * @example
 * ```ts
 * const identity = await lookupRole(session.user, (user) => users.roleOf(user.id));
 * requireEditorOrAdmin(identity);
 * ```
 */
export async function lookupRole<I>(
  identity: I | null | undefined,
  lookup: RoleLookup<I>,
): Promise<Identity & { readonly role: unknown }> {
  if (typeof lookup !== 'function') throw new TypeError('lookupRole: lookup must be a function');
  if (identity === null || identity === undefined) throw new UnauthenticatedError('missing');
  let role: unknown;
  try {
    role = await lookup(identity);
  } catch (error) {
    if (LatchkeyError.is(error, 'STORE_UNAVAILABLE')) throw error;
    throw new RoleLookupFailedError({ cause: error });
  }
  return Object.freeze({ role });
}
