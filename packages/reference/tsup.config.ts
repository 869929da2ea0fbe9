import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // `node packages/reference/dist/cli.js` must run after building this package alone, so the
  // workspace primitives are bundled from their TypeScript source rather than their (maybe unbuilt) dist.
  noExternal: [/^@latchkey\//],
  esbuildOptions(options) {
    options.conditions = ['@latchkey/source'];
  },
});
