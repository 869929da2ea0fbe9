import { describe, expect, it } from 'vitest';
import { bearerToken, kubeConfigFromEnv } from './caller-auth.js';

const FULL = {
  LATCHKEY_KUBE_APISERVER: 'https://10.0.0.1:6443',
  LATCHKEY_KUBE_CA_FILE: '/run/ca.crt',
  LATCHKEY_KUBE_TOKEN_FILE: '/run/token',
  LATCHKEY_KUBE_AUDIENCES: 'latchkey, api ,',
};

describe('kubeConfigFromEnv', () => {
  it('returns undefined when LATCHKEY_KUBE_APISERVER is unset or empty', () => {
    expect(kubeConfigFromEnv({})).toBeUndefined();
    expect(kubeConfigFromEnv({ LATCHKEY_KUBE_APISERVER: '' })).toBeUndefined();
  });

  it('reads every variable, splitting audiences on commas', () => {
    expect(kubeConfigFromEnv(FULL)).toEqual({
      apiServer: 'https://10.0.0.1:6443',
      caFile: '/run/ca.crt',
      tokenFile: '/run/token',
      audiences: ['latchkey', 'api'],
    });
  });

  it.each(['LATCHKEY_KUBE_CA_FILE', 'LATCHKEY_KUBE_TOKEN_FILE', 'LATCHKEY_KUBE_AUDIENCES'])(
    'throws a TypeError naming %s when it is missing',
    (name) => {
      expect(() => kubeConfigFromEnv({ ...FULL, [name]: undefined })).toThrow(new RegExp(name));
      expect(() => kubeConfigFromEnv({ ...FULL, [name]: undefined })).toThrow(TypeError);
    },
  );

  it('throws a TypeError for audiences that are only commas, or an http:// API server', () => {
    expect(() => kubeConfigFromEnv({ ...FULL, LATCHKEY_KUBE_AUDIENCES: ' , ' })).toThrow(TypeError);
    expect(() => kubeConfigFromEnv({ ...FULL, LATCHKEY_KUBE_APISERVER: 'http://10.0.0.1' })).toThrow(
      TypeError,
    );
  });
});

describe('bearerToken', () => {
  it('reads the token after Bearer in any case and one or more spaces', () => {
    expect(bearerToken('Bearer a.b.c')).toBe('a.b.c');
    expect(bearerToken('bEaReR    a.b.c')).toBe('a.b.c');
  });

  it('throws UNAUTHENTICATED missing for no header', () => {
    expect(() => bearerToken(undefined)).toThrow(
      expect.objectContaining({ code: 'UNAUTHENTICATED', reason: 'missing' }),
    );
    expect(() => bearerToken('')).toThrow(expect.objectContaining({ status: 401, reason: 'missing' }));
  });

  it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer a b'], ['Bearera.b.c'], [['Bearer a', 'Bearer b']]])(
    'throws UNAUTHENTICATED malformed for %j',
    (value) => {
      expect(() => bearerToken(value)).toThrow(
        expect.objectContaining({ code: 'UNAUTHENTICATED', reason: 'malformed' }),
      );
    },
  );
});
