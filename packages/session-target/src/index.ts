export type { TargetField } from '@latchkey/errors';
export {
  compareTargets,
  createTargetMatcher,
  type TargetDecision,
  type TargetMatcher,
  type TargetMatcherOptions,
} from './matcher.js';
export { type SecurityEventHook, type TargetSecurityEvent, warnSecurityEvent } from './security-event.js';
export { DEFAULT_KINDS, isDnsLabel, type ParseTargetOptions, parseTarget, type Target } from './target.js';
