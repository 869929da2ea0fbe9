import type { Benchmark, Figure } from '../src/harness.js';
import { formatTable } from '../src/table.js';
const [suite, ...rest] = process.argv.slice(2);
const rounds = Number(rest[0] ?? 5);
const mod = (await import(`../src/suites/${suite}.ts`)) as { default: Benchmark[] };
const figures: Figure[] = [];
for (const b of mod.default) { process.stderr.write(`running ${b.name} …\n`); figures.push(...(await b.run({ rounds, roundMs: 400 }))); }
process.stdout.write(`${formatTable(figures)}\n`);
process.exit(0);
