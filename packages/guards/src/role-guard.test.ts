import { afterEach, describe, expect, it } from 'vitest';
import { decisionError, requireEditorOrAdmin, requireRole, requireViewerOrAbove } from './role-guard.js';
import { createRoleLadder } from './role-ladder.js';

const denied = (code: string, status: number, reason: string) =>
  expect.objectContaining({ code, status, reason });

describe('requireRole', () => {
  const requireEditor = requireRole('editor');

  it('lets through the minimum role and every role above it', () => {
    expect(() => requireEditor({ role: 'editor' })).not.toThrow();
    expect(() => requireEditor({ role: 'admin' })).not.toThrow();
    expect(requireEditor.decide({ role: 'admin', user: 'ada' })).toEqual({ ok: true, role: 'admin' });
  });

  it('refuses a role below the minimum with FORBIDDEN insufficient-role', () => {
    expect(() => requireEditor({ role: 'viewer' })).toThrow(denied('FORBIDDEN', 403, 'insufficient-role'));
  });

  it.each([
    {},
    { role: 'Admin' },
    { role: 'root' },
    { role: '' },
    { role: null },
    { role: ['admin'] },
    { role: 2 },
  ])('refuses %j with FORBIDDEN unknown-role', (identity) => {
    expect(() => requireEditor(identity)).toThrow(denied('FORBIDDEN', 403, 'unknown-role'));
  });

  it('refuses a missing identity with UNAUTHENTICATED missing', () => {
    expect(() => requireEditor(null)).toThrow(denied('UNAUTHENTICATED', 401, 'missing'));
    expect(() => requireEditor(undefined)).toThrow(denied('UNAUTHENTICATED', 401, 'missing'));
  });

  it('refuses a non-object identity with UNAUTHENTICATED malformed', () => {
    expect(requireEditor.decide('admin')).toEqual({
      ok: false,
      code: 'UNAUTHENTICATED',
      reason: 'malformed',
    });
  });

  it('refuses a role that cannot be read with ROLE_LOOKUP_FAILED', () => {
    const identity = {
      get role(): string {
        throw new Error('store down');
      },
    };
    expect(() => requireEditor(identity)).toThrow(denied('ROLE_LOOKUP_FAILED', 500, 'lookup-failed'));
  });

  it('uses a custom ladder, and throws TypeError for a minimum not on it', () => {
    const ladder = createRoleLadder(['reader', 'operator', 'owner']);
    const requireOperator = requireRole('operator', { ladder });
    expect(requireOperator.decide({ role: 'owner' })).toEqual({ ok: true, role: 'owner' });
    expect(requireOperator.decide({ role: 'admin' })).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'unknown-role',
    });
    expect(() => requireRole('admin' as 'owner', { ladder })).toThrow(TypeError);
    expect(() => requireRole('root' as 'admin')).toThrow(TypeError);
  });

  it('exposes its minimum role', () => {
    expect(requireEditor.minRole).toBe('editor');
  });
});

describe('requireRole with a polluted prototype', () => {
  afterEach(() => {
    delete (Object.prototype as { role?: unknown }).role;
  });

  it('never reads the role from the prototype chain', () => {
    (Object.prototype as { role?: unknown }).role = 'admin';
    expect(requireEditorOrAdmin.decide({ user: 'mallory' })).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'unknown-role',
    });
    expect(requireViewerOrAbove.decide(Object.create({ role: 'admin' }))).toMatchObject({
      reason: 'unknown-role',
    });
  });
});

describe('requireEditorOrAdmin', () => {
  it('lets editors and admins through and refuses viewers', () => {
    expect(requireEditorOrAdmin.decide({ role: 'editor' }).ok).toBe(true);
    expect(requireEditorOrAdmin.decide({ role: 'admin' }).ok).toBe(true);
    expect(() => requireEditorOrAdmin.assert({ role: 'viewer' })).toThrow(
      denied('FORBIDDEN', 403, 'insufficient-role'),
    );
  });

  it('is callable as a shorthand for assert', () => {
    expect(() => requireEditorOrAdmin({ role: 'viewer' })).toThrow(
      denied('FORBIDDEN', 403, 'insufficient-role'),
    );
    expect(() => requireEditorOrAdmin({ role: 'editor' })).not.toThrow();
    expect(() => requireEditorOrAdmin.assert(null)).toThrow(denied('UNAUTHENTICATED', 401, 'missing'));
  });
});

describe('requireViewerOrAbove', () => {
  it('lets every known role through and refuses unknown ones', () => {
    for (const role of ['viewer', 'editor', 'admin'])
      expect(requireViewerOrAbove.decide({ role }).ok).toBe(true);
    expect(() => requireViewerOrAbove.assert({ role: 'guest' })).toThrow(
      denied('FORBIDDEN', 403, 'unknown-role'),
    );
  });
});

describe('decisionError', () => {
  it('builds the error each refusal names', () => {
    expect(decisionError({ ok: false, code: 'UNAUTHENTICATED', reason: 'missing' })).toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
      reason: 'missing',
    });
    expect(decisionError({ ok: false, code: 'FORBIDDEN', reason: 'no-policy' })).toMatchObject({
      code: 'FORBIDDEN',
      status: 403,
      reason: 'no-policy',
    });
    expect(decisionError({ ok: false, code: 'ROLE_LOOKUP_FAILED', reason: 'lookup-failed' })).toMatchObject({
      code: 'ROLE_LOOKUP_FAILED',
      status: 500,
    });
  });
});
