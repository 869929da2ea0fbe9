/**
 * Request headers as either runtime hands them over: a Fetch `Headers` (anything with `get`), or a
 * node:http `IncomingHttpHeaders` record. Record keys are expected in lower case, as node:http
 * delivers them; a record with `Authorization` spelled otherwise reads as "no such header".
 *
 * @example
 * ```ts
 * const fromFetch: HeaderSource = request.headers;      // Headers
 * const fromNode: HeaderSource = incomingMessage.headers; // { authorization?: string, … }
 * ```
 */
export type HeaderSource =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * One header value, or `undefined` when absent. Repeated values (a node record holding an array)
 * are joined with `separator`, the way Fetch `Headers.get` joins them, so a duplicated
 * `Authorization` header never reads as a single clean credential.
 *
 * @example
 * ```ts
 * headerValue(request.headers, 'upgrade', ', ');            // Fetch Headers or a node:http record
 * headerValue({ authorization: ['Bearer a', 'Bearer b'] }, 'authorization', ', '); // 'Bearer a, Bearer b'
 * ```
 */
export function headerValue(headers: HeaderSource, name: string, separator: string): string | undefined {
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function') {
    const value: unknown = get.call(headers, name);
    return typeof value === 'string' ? value : undefined;
  }
  const value = (headers as Readonly<Record<string, unknown>>)[name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const parts = value.filter((part): part is string => typeof part === 'string');
    return parts.length === 0 ? undefined : parts.join(separator);
  }
  return undefined;
}
