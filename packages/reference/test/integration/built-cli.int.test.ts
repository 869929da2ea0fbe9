import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, spawnServer } from '../support.js';

const run = promisify(execFile);

// The documented way to run the servers is the built CLI. This builds it (without declarations) into
// a scratch directory inside the package, so its bare imports resolve as they do from `dist/`, and
// checks that it runs on its own: the workspace primitives are bundled from source.
describe('the built CLI', () => {
  let outDir: string;

  beforeAll(async () => {
    await mkdir(join(PACKAGE_ROOT, '.tmp'), { recursive: true });
    outDir = await mkdtemp(join(PACKAGE_ROOT, '.tmp', 'build-'));
    const tsup = join(PACKAGE_ROOT, '..', '..', 'node_modules', '.bin', 'tsup');
    await run(tsup, ['--out-dir', outDir, '--no-dts', '--silent'], { cwd: PACKAGE_ROOT });
  });

  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it('serves the router on a free port, prints the listening line first, and exits 0 on SIGTERM', async () => {
    const router = await spawnServer('router', {}, join(outDir, 'cli.js'));
    try {
      expect(router.stdout().split('\n')[0]).toBe(`listening on ${router.url}`);
      const response = await fetch(`${router.url}/v1/namespaces/team-a/AgentRuntime/agent-1/invoke/whoami`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sessionId: response.headers.get('x-latchkey-session') });
    } finally {
      const { code, ms } = await router.terminate();
      expect(code).toBe(0);
      expect(ms).toBeLessThan(5_000);
    }
  });

  it('refuses an unknown server name with usage on stderr and exit code 2', async () => {
    const result = await run(process.execPath, [join(outDir, 'cli.js'), 'proxy']).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/usage/);
  });

  it('exits 1 with a JSON log line when a required variable is missing', async () => {
    const result = await run(process.execPath, [join(outDir, 'cli.js'), 'sandbox'], {
      env: { PATH: process.env.PATH ?? '' },
    }).then(
      () => ({ code: 0, stderr: '', stdout: '' }),
      (error: { code: number; stderr: string; stdout: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(JSON.parse(result.stderr.trim().split('\n')[0] ?? '')).toMatchObject({
      event: 'start-failed',
      level: 'error',
    });
  });
});
