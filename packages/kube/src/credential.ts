import { readFile, stat } from 'node:fs/promises';
import { UpstreamUnavailableError } from '@latchkey/errors';

/** Where the reviewer's own bearer token comes from; called before every call to the API server. */
export type Credential = () => string | Promise<string>;

/** Options of {@link tokenFileCredential}. */
export interface TokenFileCredentialOptions {
  /** How often the file is checked for a change. Default 1000 (DESIGN: a new token is used within 5 s). */
  readonly checkIntervalMs?: number;
  /** Clock in ms. Default `Date.now`. */
  readonly now?: () => number;
}

/** The kubelet's projected token lives here in every pod. */
export const DEFAULT_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The reviewer's credential read from a projected service-account token file, re-read when it
 * changes. The kubelet rotates the token (hourly by default) by writing a new directory and swapping
 * the `..data` symlink; other tools write the file in place. Both change what `stat` (which follows
 * symlinks) reports: device, inode, size, mtime or ctime. The file is stat'ed at most once per
 * `checkIntervalMs` and read only when that changed.
 *
 * An unreadable or empty file is `UPSTREAM_UNAVAILABLE` with reason `reviewer-credential-unreadable`:
 * an operator's problem, never the caller's.
 *
 * @example
 * ```ts
 * const reviewer = createTokenReviewer({ apiServer, ca, audiences: ['latchkey'],
 *   credential: tokenFileCredential('/var/run/secrets/kubernetes.io/serviceaccount/token') });
 * ```
 */
export function tokenFileCredential(path: string, options: TokenFileCredentialOptions = {}): Credential {
  if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string');
  const checkIntervalMs = options.checkIntervalMs ?? 1000;
  if (!Number.isFinite(checkIntervalMs) || checkIntervalMs < 0) {
    throw new TypeError('checkIntervalMs must be a non-negative number');
  }
  const now = options.now ?? Date.now;
  let token: string | undefined;
  let version = '';
  let checkedAtMs = Number.NEGATIVE_INFINITY;
  let pending: Promise<string> | undefined;

  const refresh = async (): Promise<string> => {
    try {
      const info = await stat(path, { bigint: true });
      const current = `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
      if (token === undefined || current !== version) {
        const text = (await readFile(path, 'utf8')).trim();
        if (text === '') throw new Error('empty token file');
        token = text;
        version = current;
      }
      checkedAtMs = now();
      return token;
    } catch (error) {
      // Keep no stale token after a failed read: the next call tries the file again.
      token = undefined;
      version = '';
      throw new UpstreamUnavailableError('reviewer-credential-unreadable', { cause: error });
    }
  };

  return () => {
    if (token !== undefined && now() - checkedAtMs < checkIntervalMs) return token;
    pending ??= refresh().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}
