import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tokenFileCredential } from './credential.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'latchkey-credential-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('tokenFileCredential', () => {
  it('reads the token, trimmed', async () => {
    writeFileSync(join(dir, 'token'), 'first\n');
    expect(await tokenFileCredential(join(dir, 'token'))()).toBe('first');
  });

  it('re-reads a file written in place once checkIntervalMs has passed', async () => {
    let nowMs = 0;
    const path = join(dir, 'token');
    writeFileSync(path, 'first');
    const credential = tokenFileCredential(path, { checkIntervalMs: 1_000, now: () => nowMs });
    expect(await credential()).toBe('first');
    writeFileSync(path, 'second-token');
    nowMs = 999;
    expect(await credential()).toBe('first');
    nowMs = 1_000;
    expect(await credential()).toBe('second-token');
  });

  it('follows a kubelet-style ..data symlink swap', async () => {
    mkdirSync(join(dir, '..2026_01'));
    writeFileSync(join(dir, '..2026_01', 'token'), 'old');
    symlinkSync('..2026_01', join(dir, '..data'));
    symlinkSync('..data/token', join(dir, 'token'));
    let nowMs = 0;
    const credential = tokenFileCredential(join(dir, 'token'), { now: () => nowMs });
    expect(await credential()).toBe('old');
    // The kubelet writes a new timestamped directory, then atomically renames a new ..data link over the old.
    mkdirSync(join(dir, '..2026_02'));
    writeFileSync(join(dir, '..2026_02', 'token'), 'new');
    symlinkSync('..2026_02', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    rmSync(join(dir, '..2026_01'), { recursive: true });
    nowMs = 1_000;
    expect(await credential()).toBe('new');
  });

  it('throws UPSTREAM_UNAVAILABLE reviewer-credential-unreadable for a missing or empty file', async () => {
    await expect(tokenFileCredential(join(dir, 'absent'))()).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      status: 502,
      reason: 'reviewer-credential-unreadable',
    });
    writeFileSync(join(dir, 'empty'), '\n');
    await expect(tokenFileCredential(join(dir, 'empty'))()).rejects.toMatchObject({
      reason: 'reviewer-credential-unreadable',
    });
  });

  it('checks the file at least every second by default (a new token is used within 5 s)', async () => {
    let nowMs = 0;
    const path = join(dir, 'token');
    writeFileSync(path, 'a');
    const credential = tokenFileCredential(path, { now: () => nowMs });
    await credential();
    writeFileSync(path, 'bb');
    nowMs = 1_000;
    expect(await credential()).toBe('bb');
  });
});
