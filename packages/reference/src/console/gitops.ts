import { isDnsLabel } from '@latchkey/session-target';
import { z } from 'zod';

const text = z.string().min(1);
// DNS-1123 label: the rule `@latchkey/session-target` applies to namespaces and names.
const label = z.string().refine(isDnsLabel);

/** Minimum role per gitops route, and the body each one accepts. */
export interface GitopsRoute {
  readonly path: string;
  readonly role: 'viewer' | 'editor';
  /** Returns the validated body or throws (the caller maps it to `INVALID_REQUEST`). */
  readonly parse: (value: unknown) => unknown;
}

function route(path: string, role: GitopsRoute['role'], body: z.ZodType): GitopsRoute {
  return { path, role, parse: (value) => body.parse(value) };
}

/**
 * The gitops routes of the console, as in DESIGN.md. Bodies are strict about the fields they name and
 * ignore others (a client may send more than a route reads).
 *
 * @example
 * ```ts
 * const sync = GITOPS_ROUTES.find((route) => route.path === '/api/gitops/sync');
 * sync?.parse({ repo: 'infra', path: 'apps' });
 * ```
 */
export const GITOPS_ROUTES: readonly GitopsRoute[] = [
  route('/api/gitops/sync', 'editor', z.object({ repo: text, path: text })),
  route('/api/gitops/helm/upgrade', 'editor', z.object({ release: label, namespace: label, chart: text })),
  route('/api/gitops/helm/uninstall', 'editor', z.object({ release: label, namespace: label })),
  route(
    '/api/gitops/helm/rollback',
    'editor',
    z.object({ release: label, namespace: label, revision: z.number().int().positive() }),
  ),
  route('/api/gitops/argocd/sync', 'editor', z.object({ app: label })),
  route('/api/gitops/detect-drift', 'viewer', z.object({ repo: text, path: text })),
];
