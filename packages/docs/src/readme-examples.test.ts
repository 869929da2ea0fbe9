import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { examplesIn, workspaceExamples } from './readme-examples.js';

const run = promisify(execFile);
const packageDir = resolve(import.meta.dirname, '..');
const rootDir = resolve(packageDir, '..', '..');
// Inside this package, so `@latchkey/*` and the frameworks resolve from its node_modules.
const scratch = mkdtempSync(join(packageDir, '.examples-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('examplesIn', () => {
  it('finds only ts run fences, with their line', () => {
    const markdown = '# x\n\n```ts\nnot run\n```\n\n```ts run\nconsole.log(1);\n```\n';
    expect(examplesIn(markdown, 'R.md')).toEqual([{ location: 'R.md:7', code: 'console.log(1);\n' }]);
  });
});

const examples = workspaceExamples(rootDir);

describe('README examples', () => {
  it('exist: every published package README opens with a runnable one', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it.each(examples.map((example, i) => [example.location, i] as const))(
    '%s runs as written',
    async (_location, i) => {
      const example = examples[i];
      if (example === undefined) throw new Error('no example');
      const file = join(scratch, `example-${i}.ts`);
      writeFileSync(file, example.code);
      const { stderr } = await run(
        process.execPath,
        ['--conditions=@latchkey/source', '--import', 'tsx', file],
        { cwd: packageDir, timeout: 20_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } },
      );
      expect(stderr).toBe('');
    },
    30_000,
  );
});
