import { ForbiddenError } from '@latchkey/errors';

/**
 * The console's Origin rule (DESIGN, T11): a request authenticated by the cookie or `?token=` whose
 * `Origin` is present and is neither the server's own (`http://` + its `Host`) nor allowed is refused
 * with 403 `FORBIDDEN`, for every method but GET and HEAD and for every WebSocket upgrade. `Origin:
 * null` is foreign. A request without `Origin` is not a browser's; one authenticated by the
 * `Authorization` header cannot be forged by a page, so neither is refused for its Origin.
 *
 * @example
 * ```ts
 * assertConsoleOrigin(request, { source: 'cookie', allowed: new Set(['https://console.example']) });
 * ```
 */
export function assertConsoleOrigin(
  request: Request,
  options: { readonly source: string; readonly allowed: ReadonlySet<string>; readonly upgrade?: boolean },
): void {
  if (options.source !== 'cookie' && options.source !== 'query') return;
  if (options.upgrade !== true && (request.method === 'GET' || request.method === 'HEAD')) return;
  const origin = request.headers.get('origin');
  if (origin === null) return;
  const host = request.headers.get('host');
  if (host !== null && origin === `http://${host}`) return;
  if (origin !== 'null' && options.allowed.has(origin)) return;
  // 'origin' joins ForbiddenError's reasons with the ws work; until then the cast names it here.
  throw new ForbiddenError('origin' as ForbiddenError['reason']);
}

/**
 * Reads `LATCHKEY_ALLOWED_ORIGINS` (comma-separated `scheme://host[:port]`, no path): each entry is
 * kept in its serialized form (`new URL(entry).origin`), so `HTTPS://Console.Example:443` matches the
 * `https://console.example` a browser sends. Anything that is not an origin is a `TypeError` at start.
 *
 * @example
 * ```ts
 * parseOrigins('https://a.example, http://localhost:3000'); // Set { 'https://a.example', 'http://localhost:3000' }
 * ```
 */
export function parseOrigins(text: string | undefined): ReadonlySet<string> {
  const origins = new Set<string>();
  if (text === undefined || text.trim() === '') return origins;
  for (const part of text.split(',')) {
    const entry = part.trim();
    if (entry === '') continue;
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new TypeError(`LATCHKEY_ALLOWED_ORIGINS: not an origin: ${entry}`);
    }
    if (
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      url.pathname !== '/' ||
      url.search !== '' ||
      url.hash !== '' ||
      url.username !== '' ||
      url.password !== '' ||
      /\/./.test(entry.replace(/^[a-z]+:\/\//i, ''))
    ) {
      throw new TypeError(`LATCHKEY_ALLOWED_ORIGINS: not an origin: ${entry}`);
    }
    origins.add(url.origin);
  }
  return origins;
}
