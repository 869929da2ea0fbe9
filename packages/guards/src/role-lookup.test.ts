import { CapacityExhaustedError, StoreUnavailableError } from '@latchkey/errors';
import { describe, expect, it, vi } from 'vitest';
import { requireEditorOrAdmin } from './role-guard.js';
import { lookupRole } from './role-lookup.js';

describe('lookupRole', () => {
  it('resolves the looked-up role, ready for a guard', async () => {
    const identity = await lookupRole({ id: 'u1' }, async (user) => (user.id === 'u1' ? 'editor' : 'viewer'));
    expect(identity).toEqual({ role: 'editor' });
    expect(() => requireEditorOrAdmin(identity)).not.toThrow();
  });

  it('accepts a synchronous lookup', async () => {
    await expect(lookupRole('u1', () => 'admin')).resolves.toEqual({ role: 'admin' });
  });

  it('rejects a missing identity with UNAUTHENTICATED without calling the lookup', async () => {
    const lookup = vi.fn();
    await expect(lookupRole(null, lookup)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
      reason: 'missing',
    });
    await expect(lookupRole(undefined, lookup)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(lookup).not.toHaveBeenCalled();
  });

  it('rejects with ROLE_LOOKUP_FAILED when the lookup throws or rejects, keeping the cause', async () => {
    const boom = new Error('boom');
    for (const lookup of [
      () => {
        throw boom;
      },
      async () => Promise.reject(boom),
    ]) {
      const error = await lookupRole('u1', lookup).catch((caught: unknown) => caught);
      expect(error).toMatchObject({
        code: 'ROLE_LOOKUP_FAILED',
        status: 500,
        reason: 'lookup-failed',
        cause: boom,
      });
    }
  });

  it('rejects with ROLE_LOOKUP_FAILED when the lookup returns a thenable that throws', async () => {
    const thenable = Object.defineProperty({}, 'then', {
      get(): never {
        throw new Error('hostile thenable');
      },
    });
    await expect(lookupRole('u1', () => thenable)).rejects.toMatchObject({ code: 'ROLE_LOOKUP_FAILED' });
  });

  it('passes STORE_UNAVAILABLE through so the client retries', async () => {
    const down = new StoreUnavailableError('connection');
    await expect(lookupRole('u1', async () => Promise.reject(down))).rejects.toBe(down);
  });

  it('turns other latchkey errors into ROLE_LOOKUP_FAILED', async () => {
    await expect(
      lookupRole('u1', () => {
        throw new CapacityExhaustedError('cache-full');
      }),
    ).rejects.toMatchObject({ code: 'ROLE_LOOKUP_FAILED' });
  });

  it('resolves a missing role to one every guard refuses', async () => {
    const identity = await lookupRole('u1', async () => undefined);
    expect(requireEditorOrAdmin.decide(identity)).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'unknown-role',
    });
  });

  it('throws TypeError when lookup is not a function', async () => {
    await expect(lookupRole('u1', 'admin' as unknown as () => string)).rejects.toThrow(TypeError);
  });
});
