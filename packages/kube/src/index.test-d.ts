import { expectTypeOf, test } from 'vitest';
import { createKubeCallerAuth, type KubeCallerAuth, type KubeIdentity, kubeConfigFromEnv } from './index.js';

test('kubeConfigFromEnv is undefined or a full config', () => {
  expectTypeOf(kubeConfigFromEnv).returns.toEqualTypeOf<
    | {
        readonly apiServer: string;
        readonly caFile: string;
        readonly tokenFile: string;
        readonly audiences: readonly string[];
      }
    | undefined
  >();
});

test('authenticate resolves to a token-free identity', () => {
  expectTypeOf<KubeCallerAuth['authenticate']>().returns.resolves.toEqualTypeOf<KubeIdentity>();
  expectTypeOf<KubeIdentity['uid']>().toEqualTypeOf<string>();
  expectTypeOf<KubeIdentity>().not.toHaveProperty('token');
});

test('createKubeCallerAuth needs the four settings', () => {
  // @ts-expect-error audiences is required
  createKubeCallerAuth({ apiServer: 'https://a', caFile: '/ca', tokenFile: '/t' });
});
