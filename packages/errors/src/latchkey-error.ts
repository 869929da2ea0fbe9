import type { ErrorClassByCode, ErrorCode } from './codes.js';

/**
 * The brand lives in the global symbol registry, so `LatchkeyError.is()` recognises errors thrown by
 * another copy of this package (an app that installs two versions side by side), where `instanceof`
 * would say no.
 */
const BRAND = Symbol.for('@latchkey/errors');

/** The HTTP statuses a latchkey error can carry. */
export type HttpStatus = 400 | 401 | 403 | 404 | 405 | 408 | 409 | 413 | 415 | 429 | 431 | 500 | 502 | 503;

/** The JSON a client sees: the stable code and a fixed message, nothing else. */
export interface LatchkeyErrorJson {
  readonly code: string;
  readonly message: string;
}

/**
 * The one error shape of latchkey. Every error a primitive throws is a subclass with a stable string
 * `code` (public API), an HTTP `status`, and a typed `reason` saying why a check failed, meant for logs
 * and metrics, never for clients.
 *
 * Messages are short and fixed: they never contain tokens, keys, ciphertext or claims. `toJSON()` exposes
 * `code` and `message` only; `cause` and `reason` stay on the server.
 *
 * @example
 * ```ts
 * try {
 *   await verifier.verify(token);
 * } catch (error) {
 *   if (LatchkeyError.is(error)) log.warn({ code: error.code, reason: error.reason });
 *   throw error;
 * }
 * ```
 */
export abstract class LatchkeyError<Reason extends string = string> extends Error {
  /** Stable, UPPER_SNAKE code; part of the public API once released. */
  abstract readonly code: string;
  /** HTTP status a server answers with. */
  abstract readonly status: HttpStatus;
  /** Why the check failed, for logs and metrics. Never sent to clients. */
  readonly reason: Reason;
  /** Seconds a client should wait before retrying, where the error knows (429 and 503). */
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, reason: Reason, options?: LatchkeyErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.reason = reason;
    this.retryAfterSeconds = options?.retryAfterSeconds;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * Brand check, safe across duplicate installs of this package. With a `code`, also checks the code
   * and narrows to that code's class (its typed `reason` and fields).
   *
   * @example
   * ```ts
   * if (LatchkeyError.is(error, 'STORE_UNAVAILABLE')) metrics.increment('store.down');
   * ```
   */
  static is(value: unknown): value is LatchkeyError;
  static is<Code extends ErrorCode>(value: unknown, code: Code): value is ErrorClassByCode[Code];
  static is(value: unknown, code?: ErrorCode): value is LatchkeyError {
    if (typeof value !== 'object' || value === null || !(BRAND in value)) return false;
    return code === undefined || (value as { code?: unknown }).code === code;
  }

  /** What a client may see: `{ code, message }`. Never `cause`, never `reason`. */
  toJSON(): LatchkeyErrorJson {
    return { code: this.code, message: this.message };
  }
}

/** Options every latchkey error accepts. */
export interface LatchkeyErrorOptions {
  /** The underlying error, kept for server-side logs only. Never put token or key material here. */
  readonly cause?: unknown;
  /** Seconds until a retry may succeed; servers send it as `Retry-After`. */
  readonly retryAfterSeconds?: number;
}
