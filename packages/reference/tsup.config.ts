import { packageBuild } from '../../tsup.base.ts';

export default packageBuild(
  { index: 'src/index.ts', cli: 'src/cli.ts' },
  {
    // `node packages/reference/dist/cli.js` must run after building this package alone, so the
    // workspace primitives are bundled from their TypeScript source rather than their (maybe unbuilt) dist.
    noExternal: [/^@latchkey\//],
    esbuildOptions(options) {
      options.conditions = ['@latchkey/source'];
    },
  },
);
