import { InvalidRequestError, LatchkeyError, PayloadTooLargeError } from '@latchkey/errors';
import { type HeaderSource, headerValue } from './headers.js';

/** A Fetch `Request` (or anything with `headers.get` and a `body` stream). */
export interface FetchBodySource {
  readonly headers: { get(name: string): string | null };
  readonly body: ReadableStream<Uint8Array> | null;
}

/** A node:http `IncomingMessage` (or anything with a header record that yields its body as chunks). */
export interface NodeBodySource extends AsyncIterable<Uint8Array | string> {
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** Where a body is read from. */
export type BodySource = FetchBodySource | NodeBodySource;

/** Options of {@link readBody}. */
export interface ReadBodyOptions {
  /** Largest body accepted, in bytes. Default 64 KiB (DESIGN.md). */
  readonly limitBytes?: number | undefined;
}

/** Options of {@link readJson}. */
export interface ReadJsonOptions<T> extends ReadBodyOptions {
  /**
   * Validates the parsed value and returns it typed, e.g. `(value) => schema.parse(value)`. A
   * `LatchkeyError` it throws propagates; anything else becomes `INVALID_REQUEST` / `schema`.
   */
  readonly parse?: ((value: unknown) => T) | undefined;
  /** Refuse a body whose `Content-Type` is not JSON (`unsupported-media-type`). Default `false`. */
  readonly requireJsonContentType?: boolean | undefined;
}

/** The default body limit: 64 KiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 65_536;

const encoder = new TextEncoder();

function limitOf(options: ReadBodyOptions): number {
  const limit = options.limitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw new TypeError('limitBytes must be a non-negative integer');
  return limit;
}

const isFetchSource = (source: BodySource): source is FetchBodySource =>
  typeof (source.headers as { get?: unknown }).get === 'function';

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Reads a request body into memory, refusing it with `PAYLOAD_TOO_LARGE` (413) as soon as it passes
 * `limitBytes`: at once when `Content-Length` already says so, otherwise on the first chunk that
 * crosses the limit, so an oversized body is never buffered whole.
 *
 * The unread rest is left alone rather than cancelled: under a node:http bridge, cancelling destroys
 * the socket before the 413 can be written. The 413 from `errorToHttp` says `Connection: close`.
 *
 * @example
 * ```ts
 * const bytes = await readBody(request, { limitBytes: 64 * 1024 }); // Fetch Request or IncomingMessage
 * ```
 */
export async function readBody(source: BodySource, options: ReadBodyOptions = {}): Promise<Uint8Array> {
  const limit = limitOf(options);
  const declared = headerValue(source.headers as HeaderSource, 'content-length', ',');
  // Only a plain decimal is trusted; anything else is left to the byte count below.
  if (declared !== undefined && /^\s*\d+\s*$/.test(declared) && Number(declared) > limit) {
    throw new PayloadTooLargeError(limit);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const accept = (chunk: Uint8Array): void => {
    total += chunk.byteLength;
    if (total > limit) throw new PayloadTooLargeError(limit);
    chunks.push(chunk);
  };
  if (isFetchSource(source)) {
    if (source.body === null) return new Uint8Array(0);
    const reader = source.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        accept(value);
      }
    } finally {
      reader.releaseLock();
    }
  } else {
    // Iterate by hand: leaving a `for await` early would call `return()`, destroying the stream and,
    // under node:http, the socket the 413 must be written to.
    const iterator = source[Symbol.asyncIterator]();
    for (;;) {
      const { done, value } = await iterator.next();
      if (done === true) break;
      accept(typeof value === 'string' ? encoder.encode(value) : value);
    }
  }
  return concat(chunks, total);
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads and parses a JSON body within `limitBytes` (see {@link readBody}). Invalid UTF-8 or JSON is
 * `INVALID_REQUEST` / `malformed-json` (without the parser's message, which quotes the body); a value
 * that `parse` refuses is `INVALID_REQUEST` / `schema`, with the validator's error as `cause`.
 *
 * @example
 * ```ts
 * const body = await readJson(request, { parse: (value) => SyncBody.parse(value) });
 * ```
 */
export async function readJson<T = unknown>(
  source: BodySource,
  options: ReadJsonOptions<T> = {},
): Promise<T> {
  if (options.parse !== undefined && typeof options.parse !== 'function') {
    throw new TypeError('parse must be a function');
  }
  if (options.requireJsonContentType === true) {
    const type = headerValue(source.headers as HeaderSource, 'content-type', ',');
    if (type === undefined || !JSON_TYPE.test(type)) throw new InvalidRequestError('unsupported-media-type');
  }
  const bytes = await readBody(source, options);
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new InvalidRequestError('malformed-json');
  }
  if (options.parse === undefined) return value as T;
  try {
    return options.parse(value);
  } catch (error) {
    if (LatchkeyError.is(error)) throw error;
    throw new InvalidRequestError('schema', { cause: error });
  }
}
