import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(join(SRC, '..', 'package.json'), 'utf8')) as {
  exports: Record<string, string | { '@latchkey/source'?: string }>;
};

/** Every module reachable from `entry` by static import, with the bare specifiers each one imports. */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (graph.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/^(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map(
      (m) => m[1] as string,
    );
    const bare: string[] = [];
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) pending.push(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else bare.push(specifier);
    }
    graph.set(file, bare);
  }
  return graph;
}

describe('package entries', () => {
  const entries = Object.entries(pkg.exports).flatMap(([name, target]) =>
    typeof target === 'object' && target['@latchkey/source'] !== undefined
      ? [[name, join(SRC, '..', target['@latchkey/source'])] as const]
      : [],
  );

  it.each(entries.filter(([name]) => name !== './testing'))(
    '%s loads neither vitest nor a client library, and never the testing entry',
    (_name, file) => {
      for (const [module, bare] of importGraph(file)) {
        expect(relative(SRC, module)).not.toBe('testing.ts');
        for (const specifier of bare) {
          expect(specifier).toMatch(/^(node:|@latchkey\/errors$|lru-cache$)/);
        }
      }
    },
  );

  it('has exactly one Redis subpath', () => {
    expect(Object.keys(pkg.exports).sort()).toEqual([
      '.',
      './memory',
      './package.json',
      './redis',
      './testing',
    ]);
  });
});
