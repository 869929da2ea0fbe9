import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExecConsole, startExecConsole } from '../ws-exec-support.js';

const CHROMIUM = '/usr/bin/chromium';

/** Debian's Chromium, or a failure naming the install step: a missing browser never skips this test. */
function requireChromium(): string {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return CHROMIUM;
  } catch {
    throw new Error(
      `${CHROMIUM} is not installed: run \`bash scripts/install-browser.sh\` (the README test command does)` +
        (process.env.CI === 'true' ? ' — CI=true, so a missing browser fails the run' : ''),
    );
  }
}

describe('GET /ws/exec in a real browser', () => {
  let console_: ExecConsole;
  let browser: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    const executablePath = requireChromium();
    console_ = await startExecConsole();
    profile = mkdtempSync(join(tmpdir(), 'latchkey-chromium-'));
    // A fresh, empty profile each run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      timeout: 30_000,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await console_?.close();
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  });

  it('logs in, opens /ws/exec with the cookie, sees the echo, logs out and sees the 4401 close', async () => {
    const page = await browser.newPage();
    // The console's own origin: the page, the login, the WebSocket and the logout share it.
    await page.goto(`${console_.url}/health`);
    const result = await page.evaluate(async (host) => {
      const login = await fetch('/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'browser-user', role: 'editor' }),
      });
      const frames: unknown[] = [];
      const ws = new WebSocket(`ws://${host}/ws/exec`);
      const next = (type: string): Promise<unknown> =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no ${type} frame`)), 5_000);
          const check = (): void => {
            const found = frames.find((frame) => (frame as { type: string }).type === type);
            if (found !== undefined) {
              clearTimeout(timer);
              resolve(found);
            } else setTimeout(check, 10);
          };
          check();
        });
      ws.onmessage = (event) => frames.push(JSON.parse(String(event.data)));
      const closed = new Promise<{ code: number; elapsedMs: number }>((resolve) => {
        ws.onclose = (event) => resolve({ code: event.code, elapsedMs: performance.now() });
      });
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new Error('the WebSocket did not open'));
      });
      ws.send(
        JSON.stringify({ type: 'exec_init', namespace: 'team-a', pod: 'web-0', command: ['sh'], tty: true }),
      );
      await next('exec_started');
      for (const key of 'echo hello\n') ws.send(JSON.stringify({ type: 'stdin', data: key }));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const echoed = frames
        .filter((frame) => (frame as { type: string }).type === 'stdout')
        .map((frame) => (frame as { data: string }).data)
        .join('');
      const logoutAt = performance.now();
      const logout = await fetch('/auth/logout', { method: 'POST' });
      const logoutBody = await logout.json();
      const { code, elapsedMs } = await closed;
      return {
        loginStatus: login.status,
        echoed,
        logoutStatus: logout.status,
        logoutBody,
        closeCode: code,
        closeAfterLogoutMs: elapsedMs - logoutAt,
        lastFrame: frames.at(-1),
      };
    }, console_.host);
    expect(result.loginStatus).toBe(200);
    expect(result.echoed).toBe('echo hello\n');
    expect(result.logoutStatus).toBe(200);
    expect(result.logoutBody).toEqual({ cancelled: 1 });
    expect(result.lastFrame).toEqual({ type: 'error', code: 'SESSION_REVOKED', message: expect.any(String) });
    expect(result.closeCode).toBe(4401);
    expect(result.closeAfterLogoutMs).toBeLessThan(1_000);
    await page.close();
  });
});
