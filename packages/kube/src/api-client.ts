import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { UpstreamUnavailableError } from '@latchkey/errors';

/** The API server answers within this or the call is a 502 (DESIGN: "slower than 5 s"). */
export const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_SOCKETS = 64;
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/** Options of {@link createKubeApiClient}. */
export interface KubeApiClientOptions {
  /** `https://host:port` of the API server (a path prefix is kept). */
  readonly apiServer: string;
  /** PEM certificate(s) trusted for the API server; nothing else is trusted. */
  readonly ca: string | Buffer | readonly (string | Buffer)[];
  /** Deadline of one call, connection included. Default 5000. */
  readonly timeoutMs?: number;
  /** Sockets kept to the API server. Default 64. */
  readonly maxSockets?: number;
  /** A response body larger than this is a 502 `bad-response`. Default 1 MiB. */
  readonly maxResponseBytes?: number;
}

/** One call to the API server. */
export interface KubeRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute path, e.g. `/apis/authentication.k8s.io/v1/tokenreviews`. */
  readonly path: string;
  /** The bearer token the call is made with: the reviewer's own, or the caller's. */
  readonly bearerToken: string;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** A body already serialised as JSON (takes precedence over `body`). */
  readonly jsonBody?: string;
  readonly signal?: AbortSignal;
  /** Overrides the client's deadline for this call. */
  readonly timeoutMs?: number;
  /**
   * Whether the call may be sent twice: a call on a kept-alive socket that the server closed is
   * retried once on a fresh one, which may repeat it if the server read it just before closing.
   * Default: true for GET, PUT and DELETE; false for POST and PATCH. Reviews pass true (they change
   * nothing).
   */
  readonly idempotent?: boolean;
}

/** What the API server answered. Any status is returned; only transport failures throw. */
export interface KubeResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A client for one API server over one keep-alive agent. It holds no per-caller state. */
export interface KubeApiClient {
  readonly apiServer: URL;
  /**
   * Makes one call. Throws `UPSTREAM_UNAVAILABLE` with reason `unreachable` (connection failed or
   * reset), `timeout` (deadline passed) or `bad-response` (body over the limit); rejects with
   * `signal.reason` when the caller aborts.
   */
  request(request: KubeRequest): Promise<KubeResponse>;
  /** Closes the agent's sockets. Calls after `close` still work (on fresh sockets). */
  close(): void;
}

/**
 * A JSON-over-HTTPS client for the Kubernetes API server: `node:https`, one keep-alive agent,
 * trusting only `ca`, with a deadline per call. Every caller and reviewer shares it: there is no
 * client object per caller, so nothing per caller to cache, leak or reuse after a token rotates.
 *
 * @example
 * ```ts
 * const client = createKubeApiClient({ apiServer: 'https://10.0.0.1:443', ca: readFileSync(caFile) });
 * const response = await client.request({ method: 'GET', path: '/version', bearerToken });
 * client.close();
 * ```
 */
export function createKubeApiClient(options: KubeApiClientOptions): KubeApiClient {
  const apiServer = parseApiServer(options.apiServer);
  const timeoutMs = positiveInteger(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
  const maxResponseBytes = positiveInteger(
    options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    'maxResponseBytes',
  );
  const ca = Array.isArray(options.ca) ? [...options.ca] : options.ca;
  if (ca === undefined || (Array.isArray(ca) && ca.length === 0)) throw new TypeError('ca is required');
  const agent = new Agent({
    keepAlive: true,
    ca: ca as string | Buffer | (string | Buffer)[],
    maxSockets: positiveInteger(options.maxSockets ?? DEFAULT_MAX_SOCKETS, 'maxSockets'),
    scheduling: 'lifo',
  });
  const prefix = apiServer.pathname.replace(/\/$/, '');
  const dropIdleSockets = (): void => {
    for (const sockets of Object.values(agent.freeSockets))
      for (const socket of sockets ?? []) socket.destroy();
  };

  return {
    apiServer,
    request(call) {
      if (!call.path.startsWith('/')) throw new TypeError('path must start with /');
      const payload =
        call.jsonBody !== undefined
          ? Buffer.from(call.jsonBody)
          : call.body === undefined
            ? undefined
            : Buffer.from(JSON.stringify(call.body));
      const deadlineMs = call.timeoutMs ?? timeoutMs;
      const retryable = call.idempotent ?? (call.method !== 'POST' && call.method !== 'PATCH');
      return new Promise<KubeResponse>((resolve, reject) => {
        const { signal } = call;
        if (signal?.aborted === true) {
          reject(signal.reason);
          return;
        }
        let settled = false;
        const finish = (error: unknown, response?: KubeResponse): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if (response !== undefined) resolve(response);
          else reject(error);
        };
        let req: ReturnType<typeof httpsRequest> | undefined;
        let retried = false;
        const attempt = (): void => {
          const current = httpsRequest({
            agent,
            protocol: 'https:',
            hostname: apiServer.hostname.replace(/^\[|\]$/g, ''),
            port: apiServer.port === '' ? 443 : Number(apiServer.port),
            method: call.method,
            path: prefix + call.path,
            headers: {
              accept: 'application/json',
              authorization: `Bearer ${call.bearerToken}`,
              ...(payload === undefined
                ? {}
                : { 'content-type': 'application/json', 'content-length': payload.length }),
            },
          });
          req = current;
          let responded = false;
          current.on('error', (error) => {
            // After our own destroy (deadline, caller abort) there is nothing left to do.
            if (settled) return;
            // A kept-alive socket the server closed while it sat idle fails before any byte of an
            // answer; an idempotent call is retried once on a fresh socket (Node's documented pattern
            // for `reusedSocket`).
            // The other idle sockets are likely as dead (the server restarted): drop them all, so the
            // retry and the calls after it open fresh connections instead of burning stale ones.
            dropIdleSockets();
            if (retryable && !responded && !retried && current.reusedSocket) {
              retried = true;
              attempt();
              return;
            }
            finish(new UpstreamUnavailableError('unreachable', { cause: error }));
          });
          current.on('response', (res) => {
            responded = true;
            const chunks: Buffer[] = [];
            let bytes = 0;
            res.on('data', (chunk: Buffer) => {
              bytes += chunk.length;
              if (bytes > maxResponseBytes) {
                finish(new UpstreamUnavailableError('bad-response'));
                current.destroy();
                return;
              }
              chunks.push(chunk);
            });
            res.on('error', (error) => finish(new UpstreamUnavailableError('unreachable', { cause: error })));
            res.on('aborted', () => finish(new UpstreamUnavailableError('unreachable')));
            res.on('end', () => {
              finish(undefined, {
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks, bytes),
              });
            });
          });
          current.end(payload);
        };
        const timer = setTimeout(() => {
          finish(new UpstreamUnavailableError('timeout'));
          req?.destroy();
        }, deadlineMs);
        const onAbort = (): void => {
          finish(signal?.reason);
          req?.destroy();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        attempt();
      });
    },
    close() {
      agent.destroy();
    },
  };
}

function parseApiServer(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError('apiServer must be an https:// URL');
  }
  if (url.protocol !== 'https:') throw new TypeError('apiServer must be an https:// URL');
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new TypeError('apiServer must not carry credentials, a query or a fragment');
  }
  return url;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer`);
  return value;
}
