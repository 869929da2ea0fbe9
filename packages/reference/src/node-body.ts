import type { Readable } from 'node:stream';

const NODE_BODY: unique symbol = Symbol('latchkey.reference.nodeBody');
const TEXT_BODY: unique symbol = Symbol('latchkey.reference.textBody');

/**
 * A web stream over a node stream that touches the node stream only once it is read
 * (`highWaterMark: 0`), so a bridge that can pipe the node stream directly may still do so.
 */
function lazyWebStream(source: Readable): ReadableStream<Uint8Array> {
  let iterator: AsyncIterator<Buffer | string> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        iterator ??= source[Symbol.asyncIterator]();
        const { done, value } = await iterator.next();
        if (done === true) controller.close();
        else
          controller.enqueue(
            typeof value === 'string' ? new TextEncoder().encode(value) : new Uint8Array(value),
          );
      },
      cancel() {
        source.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A Response whose body is `source`: readable as a web stream by anyone, and piped by the node:http
 * bridge straight from `source` when nobody has touched the web stream, which spares a forwarded body
 * two stream conversions.
 *
 * @example
 * ```ts
 * return nodeBodyResponse(upstreamResponse, { status: 200, headers });
 * ```
 */
export function nodeBodyResponse(source: Readable, init: ResponseInit): Response {
  const response = new Response(lazyWebStream(source), init);
  Object.defineProperty(response, NODE_BODY, { value: source });
  return response;
}

/**
 * The node stream behind a {@link nodeBodyResponse}, when its web stream is still untouched.
 *
 * @example
 * ```ts
 * const source = takeNodeBody(response);
 * if (source !== undefined) pipeline(source, res, () => undefined);
 * ```
 */
export function takeNodeBody(response: Response): Readable | undefined {
  const source = (response as { [NODE_BODY]?: Readable })[NODE_BODY];
  if (source === undefined || response.bodyUsed || response.body?.locked === true) return undefined;
  return source;
}

/**
 * A Response with a small text body that the node:http bridge writes in one piece with a
 * `Content-Length` (no chunked encoding, no stream reads) when nobody has touched its web stream.
 *
 * @example
 * ```ts
 * return textBodyResponse(JSON.stringify(body), { status: 200, headers });
 * ```
 */
export function textBodyResponse(text: string, init: ResponseInit): Response {
  const response = new Response(text, init);
  Object.defineProperty(response, TEXT_BODY, { value: text });
  return response;
}

/**
 * The text behind a {@link textBodyResponse}, when its web stream is still untouched.
 *
 * @example
 * ```ts
 * const text = takeTextBody(response);
 * if (text !== undefined) res.end(text);
 * ```
 */
export function takeTextBody(response: Response): string | undefined {
  const text = (response as { [TEXT_BODY]?: string })[TEXT_BODY];
  if (text === undefined || response.bodyUsed || response.body?.locked === true) return undefined;
  return text;
}
