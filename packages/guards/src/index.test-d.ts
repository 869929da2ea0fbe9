import { describe, expectTypeOf, it } from 'vitest';
import {
  createRoleLadder,
  createRoutePolicy,
  type Decision,
  type DefaultRole,
  type RoleDecision,
  type RoleGuard,
  requireEditorOrAdmin,
  requireRole,
} from './index.js';

describe('@latchkey/guards types', () => {
  it('accepts only roles on the ladder as a minimum', () => {
    expectTypeOf(requireRole('editor')).toEqualTypeOf<RoleGuard<DefaultRole>>();
    // @ts-expect-error: not a default role
    requireRole('root');
    const ladder = createRoleLadder(['reader', 'owner']);
    expectTypeOf(requireRole('owner', { ladder })).toEqualTypeOf<RoleGuard<'reader' | 'owner'>>();
    // @ts-expect-error: not on the custom ladder
    requireRole('admin', { ladder });
  });

  it('types decisions by role', () => {
    const decision = requireEditorOrAdmin.decide({ role: 'x' });
    expectTypeOf(decision).toEqualTypeOf<RoleDecision<DefaultRole>>();
    if (decision.ok) expectTypeOf(decision.role).toEqualTypeOf<DefaultRole>();
  });

  it('checks the roles of policy rules', () => {
    createRoutePolicy([{ method: 'GET', path: '/api/events', minRole: 'viewer' }]);
    // @ts-expect-error: not a default role
    createRoutePolicy([{ method: 'GET', path: '/api/events', minRole: 'root' }]);
    const ladder = createRoleLadder(['reader', 'owner']);
    createRoutePolicy([{ method: ['GET', 'HEAD'], path: '/x', minRole: 'owner' }], { ladder });
  });

  it('refuses a bare role string where an identity is expected', () => {
    // @ts-expect-error: pass the identity, not its role
    requireEditorOrAdmin('admin');
  });
});

describe('Decision', () => {
  it('is the shape every guard and policy decision has', () => {
    const decision = requireEditorOrAdmin.decide({ role: 'viewer' });
    expectTypeOf(decision).toExtend<Decision>();
    if (!decision.ok) {
      expectTypeOf(decision.code).toEqualTypeOf<'UNAUTHENTICATED' | 'FORBIDDEN' | 'ROLE_LOOKUP_FAILED'>();
    }
    expectTypeOf(createRoutePolicy([]).decide('GET', '/', null)).toExtend<Decision>();
  });
});
