import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One runnable example: a ```` ```ts run ```` fence in a README. */
export interface ReadmeExample {
  /** Where it stands, as `README path:line`. */
  readonly location: string;
  readonly code: string;
}

const FENCE = /^```ts run[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;

/**
 * Every ```` ```ts run ```` block of `markdown`, with the line it starts on. Other fences (```` ```ts ````,
 * ```` ```sh ````) are prose and are not run.
 */
export function examplesIn(markdown: string, path: string): ReadmeExample[] {
  const examples: ReadmeExample[] = [];
  for (const match of markdown.matchAll(FENCE)) {
    const line = markdown.slice(0, match.index).split('\n').length;
    examples.push({ location: `${path}:${line}`, code: match[1] ?? '' });
  }
  return examples;
}

/** The runnable examples of the root README and of every package README under `packagesDir`. */
export function workspaceExamples(rootDir: string): ReadmeExample[] {
  const readmes = ['README.md'];
  for (const entry of readdirSync(join(rootDir, 'packages'), { withFileTypes: true }))
    if (entry.isDirectory()) readmes.push(join('packages', entry.name, 'README.md'));
  return readmes.flatMap((path) => {
    let text: string;
    try {
      text = readFileSync(join(rootDir, path), 'utf8');
    } catch {
      return [];
    }
    return examplesIn(text, path);
  });
}
