// Drives one of examples/<framework> as its README runs it: one command, then a browser's session over
// real HTTP — login (token + cookie), a stream, a role-guarded POST, logout everywhere, a clean stop.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, openStream } from './http.js';

export function exampleScenario(framework: 'express' | 'fastify' | 'hono'): void {
  const dir = resolve(import.meta.dirname, '..', '..', '..', 'examples', framework);
  let child: ChildProcess;
  let base = '';
  const stderr: string[] = [];

  beforeAll(async () => {
    child = spawn(process.execPath, ['--conditions=@latchkey/source', '--import', 'tsx', 'src/main.ts'], {
      cwd: dir,
      env: { ...process.env, PORT: '0', REDIS_URL: undefined, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const first = await Promise.race([
      once(lines, 'line').then(([line]) => line as string),
      new Promise<string>((_, reject) =>
        setTimeout(() => reject(new Error(`no listening line: ${stderr.join('')}`)), 20_000),
      ),
    ]);
    const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(first);
    if (match === null) throw new Error(`unexpected first line: ${first}`);
    base = match[1] as string;
  }, 30_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  const login = async (user: string, role: string): Promise<Response> =>
    fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user, role }),
    });

  describe(`examples/${framework}`, () => {
    it('logs in with a token and an HttpOnly, SameSite=Strict cookie; refuses a bad login with 400', async () => {
      const response = await login('ada', 'viewer');
      expect(response.status).toBe(200);
      const { token } = (await response.json()) as { token: string };
      expect(token.split('.')).toHaveLength(3);
      const cookie = response.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(new RegExp(`^latchkey_auth=${token};`));
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      expect(await failure(await login('', 'viewer'))).toEqual({ status: 400, code: 'INVALID_REQUEST' });
      expect(await failure(await login('ada', 'root'))).toEqual({ status: 400, code: 'INVALID_REQUEST' });
    });

    it('guards the POST by role, streams events, and ends everything on logout', async () => {
      const viewer = ((await (await login('bea', 'viewer')).json()) as { token: string }).token;
      const editor = ((await (await login('bea', 'editor')).json()) as { token: string }).token;
      const deploy = (token: string): Promise<Response> =>
        fetch(`${base}/api/deploy`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: '{"app":"web"}',
        });
      expect(await failure(await deploy(viewer))).toEqual({ status: 403, code: 'FORBIDDEN' });
      expect((await deploy(editor)).status).toBe(202);
      const stream = await openStream(`${base}/api/events`, {
        headers: { cookie: `latchkey_auth=${viewer}` },
      });
      try {
        expect(stream.status).toBe(200);
        await stream.events(1, 3000);
        const logout = await fetch(`${base}/auth/logout`, {
          method: 'POST',
          headers: { authorization: `Bearer ${editor}` },
        });
        expect(logout.status).toBe(200);
        expect(await logout.json()).toEqual({ cancelled: 1 });
        expect(await stream.ended(1000)).toContain('event: end');
      } finally {
        await stream.close();
      }
      expect(await failure(await deploy(editor))).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      // A path no route serves: behind Express' and Hono's mounted middleware it needs a user first;
      // Fastify knows no route matched before its hooks run, and no handler is reached either way.
      expect(await failure(await fetch(`${base}/api/unknown`))).toEqual(
        framework === 'fastify'
          ? { status: 404, code: 'NOT_FOUND' }
          : { status: 401, code: 'UNAUTHENTICATED' },
      );
    });

    it('answers a malformed JSON body on the guarded POST with 400 INVALID_REQUEST', async () => {
      const editor = ((await (await login('cy', 'editor')).json()) as { token: string }).token;
      const response = await fetch(`${base}/api/deploy`, {
        method: 'POST',
        headers: { authorization: `Bearer ${editor}`, 'content-type': 'application/json' },
        body: '{"app":',
      });
      expect(await failure(response)).toEqual({ status: 400, code: 'INVALID_REQUEST' });
    });

    it('stops cleanly on SIGTERM, exit code 0, nothing on stderr', async () => {
      child.kill('SIGTERM');
      const [code] = (await Promise.race([
        once(child, 'exit'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no exit within 5 s')), 5000)),
      ])) as [number | null];
      expect(code).toBe(0);
      expect(stderr.join('')).toBe('');
    });
  });
}
