import { type Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { UpstreamUnavailableError } from '@latchkey/errors';
import { nodeBodyResponse } from '../node-body.js';

// Hop-by-hop headers (RFC 9110 §7.6.1) and those the forward recomputes never cross the router.
const DROPPED_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
  'proxy-connection',
  'trailer',
  'upgrade',
]);
/** The only request headers that reach a sandbox besides the router's own `authorization`. */
const FORWARDED_REQUEST_HEADERS = ['content-type', 'accept'] as const;

function toHeaders(incoming: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || DROPPED_RESPONSE_HEADERS.has(name)) continue;
    if (Array.isArray(value)) for (const each of value) out.append(name, each);
    else out.set(name, value);
  }
  return out;
}

/** One forward to a sandbox. */
export interface ForwardRequest {
  /** The client's request: its method and its `content-type` / `accept` headers are kept. */
  readonly request: Request;
  /** The sandbox's base URL, from the session record. */
  readonly endpoint: string;
  /** The path under the sandbox's `/api/`, and the query (with its `?`, or `''`). */
  readonly path: string;
  readonly search: string;
  /** The session token, sent as `Authorization: Bearer`. */
  readonly token: string;
  /** The request body, already read and bounded by the router. */
  readonly body: Uint8Array | undefined;
}

/**
 * Forwards one invocation to `${endpoint}/api/${path}` over `agent` with the session token: the
 * answer's body is handed on as a stream as it arrives, never buffered, and hop-by-hop headers are
 * dropped both ways. A sandbox that cannot be reached is 502 `UPSTREAM_UNAVAILABLE`. node:http rather
 * than fetch: a keep-alive agent of the router's own, and no web-stream conversions on the way.
 *
 * @example
 * ```ts
 * const response = await forward(agent, { request, endpoint, path: 'whoami', search: '', token, body: undefined });
 * ```
 */
export function forward(agent: Agent, call: ForwardRequest): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${call.token}` };
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = call.request.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    if (call.body !== undefined) headers['content-length'] = String(call.body.byteLength);
    const upstream = httpRequest(
      `${call.endpoint}/api/${call.path}${call.search}`,
      { method: call.request.method, headers, agent },
      (response) => {
        const status = response.statusCode ?? 502;
        const responseHeaders = toHeaders(response.headers);
        if (status === 204 || status === 304) {
          response.resume();
          resolve(new Response(null, { status, headers: responseHeaders }));
        } else {
          resolve(nodeBodyResponse(response, { status, headers: responseHeaders }));
        }
      },
    );
    upstream.on('error', (error) => reject(new UpstreamUnavailableError('unreachable', { cause: error })));
    upstream.end(call.body);
  });
}
