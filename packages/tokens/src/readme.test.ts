// Runs the README's examples as written (imports pointed at the source, the PEM inputs generated).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const examples = [
  ...readme
    .slice(readme.indexOf('## Example'), readme.indexOf('## API'))
    .matchAll(/```ts(?: run)?\n([\s\S]*?)```/g),
].map((match) => match[1] as string);

async function run(code: string): Promise<void> {
  const dir = new URL(
    `../test/.readme-${process.pid}-${Math.random().toString(36).slice(2)}/`,
    import.meta.url,
  );
  mkdirSync(dir, { recursive: true });
  const file = new URL('example.ts', dir);
  try {
    const source = code.replace(/from '@latchkey\/tokens'/g, "from '../../src/index.js'");
    writeFileSync(file, `${source}\nexport {};\n`);
    await import(/* @vite-ignore */ file.href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('README examples', () => {
  it('has the two examples', () => {
    expect(examples).toHaveLength(2);
  });

  it('runs the access-token example as written', async () => {
    const logged: unknown[][] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => logged.push(args);
    try {
      await run(examples[0] as string);
    } finally {
      console.log = log;
    }
    expect(logged).toEqual([['alice@example.com', expect.any(Number), 'editor']]);
  });

  it('runs the bootstrap → session example as written', async () => {
    await run(examples[1] as string);
  });

  it('marks the opening example to be run by the docs check', () => {
    expect(readme.slice(readme.indexOf('## Example'))).toMatch(/^## Example\n\n```ts run\n/);
  });
});
