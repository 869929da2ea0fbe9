import { packageBuild } from '../../tsup.base.ts';

export default packageBuild({
  index: 'src/index.ts',
  redis: 'src/adapters/redis.ts',
  testing: 'src/testing.ts',
});
