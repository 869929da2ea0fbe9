#!/usr/bin/env node
/**
 * Checks every published package the way its users take it: piecemeal, from a tarball.
 *
 * For each non-private package under packages/ (after `pnpm build`):
 * 1. `pnpm pack` (which rewrites `workspace:^` ranges into real ones);
 * 2. `publint --strict` on the tarball;
 * 3. `attw --profile esm-only` on the tarball (types resolve for ESM consumers on node16/bundler);
 * 4. the tarball installs alone into an empty project — with only its declared dependencies, the
 *    internal ones from their own tarballs — and every subpath export imports under plain Node;
 * 5. each entry stays within its gzip size budget.
 *
 * Usage: node scripts/check-packages.mjs [package-name …]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = resolve(import.meta.dirname, '..');
const packsDir = join(root, '.tmp', 'packs');

/** gzip budget per published entry file, in bytes. Raising one is a decision, not a fix. */
const SIZE_BUDGET_BYTES = {
  default: 12 * 1024,
  '@latchkey/tokens': 16 * 1024,
  '@latchkey/keystore': 12 * 1024,
};

const run = (file, args, options = {}) =>
  execFileSync(file, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });

function publishedPackages() {
  return readdirSync(join(root, 'packages'))
    .map((dir) => ({
      dir: join(root, 'packages', dir),
      manifest: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')),
    }))
    .filter(({ manifest }) => manifest.private !== true);
}

function pack(pkg) {
  const out = run('pnpm', ['pack', '--pack-destination', packsDir], { cwd: pkg.dir });
  const tarball = out
    .trim()
    .split('\n')
    .filter((line) => line.endsWith('.tgz'))
    .pop();
  if (!tarball) throw new Error(`pnpm pack printed no tarball for ${pkg.manifest.name}`);
  return resolve(pkg.dir, tarball);
}

function internalDeps(name, byName, seen = new Set()) {
  for (const dep of Object.keys(byName.get(name)?.manifest.dependencies ?? {})) {
    if (byName.has(dep) && !seen.has(dep)) {
      seen.add(dep);
      internalDeps(dep, byName, seen);
    }
  }
  return seen;
}

function subpaths(manifest) {
  return Object.keys(manifest.exports ?? { '.': {} })
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`));
}

function checkConsumer(pkg, tarballs, byName) {
  const project = mkdtempSync(join(tmpdir(), 'latchkey-consumer-'));
  try {
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    const internal = [...internalDeps(pkg.manifest.name, byName)].map((dep) => tarballs.get(dep));
    run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        ...internal,
        tarballs.get(pkg.manifest.name),
      ],
      {
        cwd: project,
      },
    );
    const imports = subpaths(pkg.manifest);
    const script = `${imports.map((spec, i) => `import * as m${i} from '${spec}';`).join('\n')}
const modules = [${imports.map((_, i) => `m${i}`).join(', ')}];
for (const [i, m] of modules.entries()) if (Object.keys(m).length === 0) throw new Error('no exports from ' + ${JSON.stringify(imports)}[i]);
console.log('imports ok: ' + ${JSON.stringify(imports.join(', '))});`;
    writeFileSync(join(project, 'check.mjs'), script);
    return run('node', ['check.mjs'], { cwd: project }).trim();
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

function checkSizes(pkg) {
  const budget = SIZE_BUDGET_BYTES[pkg.manifest.name] ?? SIZE_BUDGET_BYTES.default;
  const sizes = [];
  for (const target of Object.values(pkg.manifest.exports ?? {})) {
    const file = typeof target === 'object' ? target.default : undefined;
    if (typeof file !== 'string' || !file.endsWith('.js')) continue;
    const gzipped = gzipSync(readFileSync(join(pkg.dir, file))).length;
    if (gzipped > budget)
      throw new Error(`${pkg.manifest.name} ${file} is ${gzipped} B gzipped, over its ${budget} B budget`);
    sizes.push(`${file.replace('./dist/', '')} ${(gzipped / 1024).toFixed(1)} KiB`);
  }
  return sizes.join(', ');
}

const only = process.argv.slice(2);
const all = publishedPackages();
const byName = new Map(all.map((pkg) => [pkg.manifest.name, pkg]));
rmSync(packsDir, { recursive: true, force: true });
mkdirSync(packsDir, { recursive: true });
const selected = all.filter((pkg) => only.length === 0 || only.includes(pkg.manifest.name));
const needed = new Set(
  selected.flatMap((pkg) => [pkg.manifest.name, ...internalDeps(pkg.manifest.name, byName)]),
);
const tarballs = new Map(
  all.filter((pkg) => needed.has(pkg.manifest.name)).map((pkg) => [pkg.manifest.name, pack(pkg)]),
);

let failures = 0;
for (const pkg of selected) {
  const name = pkg.manifest.name;
  const tarball = tarballs.get(name);
  try {
    run('pnpm', ['exec', 'publint', 'run', tarball, '--strict']);
    run('pnpm', [
      'exec',
      'attw',
      tarball,
      '--profile',
      'esm-only',
      '--format',
      'ascii',
      '--no-emoji',
      '--no-color',
    ]);
    const consumer = checkConsumer(pkg, tarballs, byName);
    const sizes = checkSizes(pkg);
    console.log(`ok   ${name}: publint, attw (esm-only), standalone install (${consumer}); gzip ${sizes}`);
  } catch (error) {
    failures++;
    const detail = [error.stdout, error.stderr, error.message].filter(Boolean).join('\n');
    console.error(`FAIL ${name}:\n${detail}`);
  }
}
if (failures > 0) {
  console.error(`${failures} package(s) failed their checks`);
  process.exit(1);
}
console.log(`${selected.length} packages passed publint, attw and standalone installs`);
