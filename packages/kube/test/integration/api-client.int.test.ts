import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeApiClient, type KubeApiClient } from '../../src/index.js';
import { type KubeFixture, startFixture } from './fixture.js';

// Faults apply to API paths (discovery and /version are answered before them).
const SA = '/api/v1/namespaces/team-a/serviceaccounts/runner';
let fx: KubeFixture;
let client: KubeApiClient;

beforeAll(async () => {
  fx = await startFixture();
  client = createKubeApiClient({
    apiServer: fx.kube.url,
    ca: fx.kube.caPem,
    timeoutMs: 500,
    maxResponseBytes: 4096,
  });
});
afterAll(async () => {
  client.close();
  await fx.kube.close();
});

describe('createKubeApiClient', () => {
  it('returns any status with its body: only transport failures throw', async () => {
    const response = await client.request({
      method: 'GET',
      path: '/api/v1/namespaces/x/serviceaccounts/y',
      bearerToken: 'a.b.c',
    });
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body.toString())).toMatchObject({ kind: 'Status', code: 401 });
  });

  it('throws 502 bad-response for a body over maxResponseBytes', async () => {
    fx.kube.fault({ type: 'respond', status: 200, body: { padding: 'x'.repeat(10_000) } });
    await expect(
      client.request({ method: 'GET', path: SA, bearerToken: fx.reviewerToken }),
    ).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', reason: 'bad-response' });
  });

  it('throws 502 timeout at its deadline, and a call-level timeoutMs overrides it', async () => {
    fx.kube.fault({ type: 'latency', ms: 300 }, { count: 2 });
    const started = performance.now();
    await expect(
      client.request({ method: 'GET', path: SA, bearerToken: fx.reviewerToken, timeoutMs: 100 }),
    ).rejects.toMatchObject({ reason: 'timeout' });
    expect(performance.now() - started).toBeLessThan(280);
    // 300 ms of latency is within the client's own 500 ms deadline: an answer (403: no RBAC to read).
    expect((await client.request({ method: 'GET', path: SA, bearerToken: fx.reviewerToken })).status).toBe(
      403,
    );
  });

  it('rejects with the signal reason when the caller aborts', async () => {
    fx.kube.fault({ type: 'latency', ms: 300 });
    const controller = new AbortController();
    const pending = client.request({
      method: 'GET',
      path: SA,
      bearerToken: fx.reviewerToken,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('gone')), 20);
    await expect(pending).rejects.toThrow('gone');
  });

  it('refuses a server certificate its CA did not sign', async () => {
    const other = await (await import('@latchkey/testkit')).startKubeApiServer();
    try {
      const wrongCa = createKubeApiClient({ apiServer: other.url, ca: fx.kube.caPem });
      await expect(
        wrongCa.request({ method: 'GET', path: '/version', bearerToken: 't' }),
      ).rejects.toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        reason: 'unreachable',
      });
      wrongCa.close();
    } finally {
      await other.close();
    }
  });

  it('throws a TypeError for an apiServer that is not https or a path without a leading slash', () => {
    expect(() => createKubeApiClient({ apiServer: 'http://127.0.0.1:1', ca: fx.kube.caPem })).toThrow(
      TypeError,
    );
    expect(() => createKubeApiClient({ apiServer: 'https://u:p@127.0.0.1:1', ca: fx.kube.caPem })).toThrow(
      TypeError,
    );
    expect(() => client.request({ method: 'GET', path: 'version', bearerToken: 't' })).toThrow(TypeError);
  });
});
