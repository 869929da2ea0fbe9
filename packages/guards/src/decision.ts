import type { ErrorCode } from '@latchkey/errors';

/**
 * latchkey's one decision shape: every `decide…()` returns it, and its `assert…()` twin throws the
 * `LatchkeyError` a refusal names (`code`, with its typed `reason`). The same shape is declared in each
 * primitive (they never import one another), so decisions from any of them read alike.
 *
 * @example
 * ```ts
 * const decision: Decision = requireEditorOrAdmin.decide(identity);
 * if (!decision.ok) console.warn(decision.code, decision.reason);
 * ```
 */
export type Decision<Code extends ErrorCode = ErrorCode, Reason extends string = string> =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: Code; readonly reason: Reason };
