import { packageBuild } from '../../tsup.base.ts';

export default packageBuild({
  index: 'src/index.ts',
  memory: 'src/adapters/memory.ts',
  ioredis: 'src/adapters/ioredis.ts',
  iovalkey: 'src/adapters/iovalkey.ts',
  testing: 'src/testing.ts',
});
