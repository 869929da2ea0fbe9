/**
 * `pnpm bench [--json] [--rounds N] [--round-ms N] [filter …]`
 *
 * Runs every benchmark in `src/suites/*.ts` whose suite or benchmark name contains one of the filters
 * (case-insensitive; no filter runs all), then prints one table, or with `--json` one JSON object per
 * figure: `{ "name", "value", "unit", "baseline", "ratio", … }`.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchContext, Benchmark, Figure } from './harness.js';
import { formatTable } from './table.js';

interface Options {
  readonly json: boolean;
  readonly filters: readonly string[];
  readonly context: BenchContext;
}

function parseArgs(argv: readonly string[]): Options {
  let json = false;
  let rounds = 5;
  let roundMs = 400;
  const filters: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--json') json = true;
    else if (arg === '--rounds') rounds = Number(argv[++i]);
    else if (arg === '--round-ms') roundMs = Number(argv[++i]);
    else if (arg === '--') continue;
    else if (arg.startsWith('--')) throw new TypeError(`unknown option ${arg}`);
    else filters.push(arg.toLowerCase());
  }
  if (!Number.isInteger(rounds) || rounds < 1) throw new TypeError('--rounds takes a positive integer');
  if (!Number.isFinite(roundMs) || roundMs < 10) throw new TypeError('--round-ms takes at least 10');
  return { json, filters, context: { rounds, roundMs } };
}

async function loadSuites(): Promise<Array<{ suite: string; benchmarks: readonly Benchmark[] }>> {
  const dir = fileURLToPath(new URL('./suites/', import.meta.url));
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .sort();
  return Promise.all(
    files.map(async (file) => {
      const module = (await import(new URL(`./suites/${file}`, import.meta.url).href)) as {
        default: readonly Benchmark[];
      };
      return { suite: file.replace(/\.ts$/, ''), benchmarks: module.default };
    }),
  );
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const suites = await loadSuites();
  const selected = suites.flatMap(({ suite, benchmarks }) =>
    benchmarks.filter(
      (benchmark) =>
        options.filters.length === 0 ||
        options.filters.some(
          (filter) => suite.includes(filter) || benchmark.name.toLowerCase().includes(filter),
        ),
    ),
  );
  if (selected.length === 0) {
    process.stderr.write(`no benchmark matches ${options.filters.join(', ')}\n`);
    process.exitCode = 1;
    return;
  }
  const figures: Figure[] = [];
  for (const benchmark of selected) {
    if (!options.json) process.stderr.write(`running ${benchmark.name} …\n`);
    const produced = await benchmark.run(options.context);
    figures.push(...produced);
    if (options.json) for (const figure of produced) process.stdout.write(`${JSON.stringify(figure)}\n`);
  }
  if (!options.json) {
    process.stdout.write(
      `${formatTable(figures)}\n\nNode ${process.version}, ${options.context.rounds} rounds of ${options.context.roundMs} ms, medians; ratio = value / baseline measured in the same run.\n`,
    );
  }
}

await main();
