/**
 * Every test project of the monorepo, in one place. The root `vitest.config.ts` reads this list
 * (Vitest 3.2+ takes projects from `test.projects`), so `vitest run --project tokens:unit` and
 * `vitest run --project "*:integration"` select by name.
 *
 * Per package:
 * - `<pkg>:unit`        `src/**\/*.test.ts` (and type expectations in `*.test-d.ts`)
 * - `<pkg>:prop`        `src/**\/*.prop.test.ts`, fast-check properties beside each module
 * - `<pkg>:integration` `test/integration/**\/*.int.test.ts`, against real redis-server / valkey-server
 *                       processes started by `@latchkey/testkit`
 */
import { existsSync } from 'node:fs';
import { defaultClientConditions, defaultServerConditions } from 'vite';
import type { TestProjectInlineConfiguration } from 'vitest/config';

/** Workspace packages resolve to their TypeScript source through this export condition. */
const SOURCE_CONDITION = '@latchkey/source';

const PACKAGES = [
  'errors',
  'tokens',
  'keystore',
  'session-target',
  'guards',
  'registry',
  'http',
  'kube',
  'ws',
  'express',
  'fastify',
  'hono',
  'testkit',
  'docs',
  'contracts',
  'bench',
  'reference',
] as const;

function project(
  pkg: string,
  kind: 'unit' | 'prop' | 'integration',
  test: NonNullable<TestProjectInlineConfiguration['test']>,
): TestProjectInlineConfiguration {
  return {
    root: `packages/${pkg}`,
    resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
    ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
    test: { name: `${pkg}:${kind}`, environment: 'node', ...test },
  };
}

function projectsOf(pkg: string): TestProjectInlineConfiguration[] {
  const dir = `packages/${pkg}`;
  if (!existsSync(dir)) return [];
  const projects = [
    project(pkg, 'unit', {
      include: ['src/**/*.test.ts'],
      exclude: ['src/**/*.prop.test.ts'],
      typecheck: { enabled: true, include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    }),
    project(pkg, 'prop', { include: ['src/**/*.prop.test.ts'] }),
  ];
  if (existsSync(`${dir}/test/integration`)) {
    projects.push(
      project(pkg, 'integration', {
        include: ['test/integration/**/*.int.test.ts'],
        testTimeout: 60_000,
        hookTimeout: 120_000,
        // Servers are real processes: a worker per file keeps their lifetimes apart.
        pool: 'forks',
      }),
    );
  }
  return projects;
}

const projects: TestProjectInlineConfiguration[] = PACKAGES.flatMap(projectsOf);
export default projects;
