export type { TargetField } from '@latchkey/errors';
export type { Decision } from './decision.js';
export {
  createTargetMatcher,
  decideTargetMatch,
  type TargetDecision,
  type TargetMatcher,
  type TargetMatcherOptions,
} from './matcher.js';
export { type SecurityEventHook, type TargetSecurityEvent, warnSecurityEvent } from './security-event.js';
export {
  DEFAULT_KINDS,
  isDnsLabel,
  isKindName,
  type ParseTargetOptions,
  parseTarget,
  type Target,
} from './target.js';
