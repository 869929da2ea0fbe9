import { defineConfig, type Options } from 'tsup';

/**
 * The one build of every package: ESM only, `.d.ts`, source maps, Node 20 syntax. Each package's
 * `tsup.config.ts` names only its entries (mirroring its `exports` map), so switching bundler later is
 * a change to this file.
 */
export function packageBuild(
  entry: Record<string, string>,
  extra: Options = {},
): ReturnType<typeof defineConfig> {
  return defineConfig({
    entry,
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    // Keep `node:crypto` as written: every supported Node resolves the prefix, and it cannot be
    // shadowed by a userland package named `crypto`.
    removeNodeProtocol: false,
    ...extra,
  });
}
