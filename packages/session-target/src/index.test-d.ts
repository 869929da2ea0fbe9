import type { TargetField } from '@latchkey/errors';
import { describe, expectTypeOf, it } from 'vitest';
import {
  createTargetMatcher,
  type Decision,
  decideTargetMatch,
  parseTarget,
  type Target,
  type TargetDecision,
  type TargetMatcher,
  type TargetSecurityEvent,
} from './index.js';

describe('@latchkey/session-target types', () => {
  it('parses unknown input into a readonly Target', () => {
    expectTypeOf(parseTarget).parameter(0).toEqualTypeOf<unknown>();
    expectTypeOf(parseTarget({})).toEqualTypeOf<Target>();
    expectTypeOf<Target['namespace']>().toEqualTypeOf<string>();
  });

  it('narrows a decision on ok', () => {
    const decision = decideTargetMatch({}, {});
    expectTypeOf(decision).toEqualTypeOf<TargetDecision>();
    if (!decision.ok) {
      expectTypeOf(decision.reason).toEqualTypeOf<'mismatch' | 'missing-metadata'>();
      expectTypeOf(decision.fields).toEqualTypeOf<readonly TargetField[]>();
    }
  });

  it('types the matcher and its hook', () => {
    expectTypeOf(createTargetMatcher()).toEqualTypeOf<TargetMatcher>();
    createTargetMatcher({
      onSecurityEvent: (event) => expectTypeOf(event).toEqualTypeOf<TargetSecurityEvent>(),
    });
    // @ts-expect-error: the requested target must be a Target
    createTargetMatcher().assert('s1', {}, 'team-a/agent-1');
    // @ts-expect-error: a hook, not a log level
    createTargetMatcher({ onSecurityEvent: 'warn' });
  });
});

describe('Decision', () => {
  it('is the shape of every target decision, whose refusal names the code', () => {
    const decision = decideTargetMatch({}, {});
    expectTypeOf(decision).toExtend<Decision>();
    if (!decision.ok) expectTypeOf(decision.code).toEqualTypeOf<'SESSION_TARGET_MISMATCH'>();
    expectTypeOf(createTargetMatcher().decide('s1', {}, parseTarget({}))).toEqualTypeOf<TargetDecision>();
  });
});
