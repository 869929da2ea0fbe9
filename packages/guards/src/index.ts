export type { Decision } from './decision.js';
export {
  type Denial,
  decisionError,
  type Identity,
  type RequireRoleOptions,
  type RoleDecision,
  type RoleGuard,
  requireEditorOrAdmin,
  requireRole,
  requireViewerOrAbove,
} from './role-guard.js';
export {
  createRoleLadder,
  DEFAULT_ROLES,
  type DefaultRole,
  defaultLadder,
  type RoleLadder,
} from './role-ladder.js';
export { lookupRole, type RoleLookup } from './role-lookup.js';
export {
  createRoutePolicy,
  type RoutePolicy,
  type RoutePolicyOptions,
  type RouteRule,
} from './route-policy.js';
