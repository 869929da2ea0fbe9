/**
 * The option validators of every factory in this package, in one place. A bad option is a caller bug:
 * each throws a plain `TypeError` naming the option, never echoing its value (it may be a key).
 */
import type { KeyObject } from 'node:crypto';
import { types } from 'node:util';
import { keyFitsAlgorithm, type SignatureAlgorithm } from './signature.js';

/** Default clock tolerance of the verifiers, in seconds. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;
/** Largest clock tolerance a verifier accepts, in seconds. */
export const MAX_CLOCK_TOLERANCE_SECONDS = 60;

/** Whether `value` is a `node:crypto` KeyObject (`util.types.isKeyObject`). */
export function isKeyObject(value: unknown): value is KeyObject {
  return types.isKeyObject(value);
}

/** Checks a numeric option that must be an integer in `[min, max]`; `fallback` when undefined. */
export function integerOption(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < min || chosen > max) {
    throw new TypeError(`${name} must be an integer from ${min} to ${max}`);
  }
  return chosen;
}

/** Checks a required non-empty string option. */
export function stringOption(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(`${name} must be a non-empty string`);
  return value;
}

/** Checks an optional function option. */
export function functionOption<F extends (...args: never[]) => unknown>(
  name: string,
  value: F | undefined,
): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(`${name} must be a function`);
  return value;
}

/** The clock option (epoch milliseconds); `Date.now` when undefined. */
export function clockOption(value: (() => number) | undefined): () => number {
  return functionOption('now', value) ?? Date.now;
}

/** The `clockToleranceSeconds` option of a verifier: an integer from 0 to 60, default 5. */
export function toleranceOption(value: number | undefined): number {
  return integerOption(
    'clockToleranceSeconds',
    value,
    DEFAULT_CLOCK_TOLERANCE_SECONDS,
    0,
    MAX_CLOCK_TOLERANCE_SECONDS,
  );
}

/** Checks a key option: a KeyObject of `type` that fits every one of `algorithms`. */
export function keyOption(
  name: string,
  value: unknown,
  type: 'public' | 'private',
  algorithms: readonly SignatureAlgorithm[],
): KeyObject {
  if (
    !isKeyObject(value) ||
    value.type !== type ||
    !algorithms.every((alg) => keyFitsAlgorithm(value, alg))
  ) {
    throw new TypeError(`${name} must be a ${type} KeyObject that fits ${algorithms.join(', ')}`);
  }
  return value;
}
