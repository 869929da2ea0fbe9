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
 * 5. each entry, with the chunks it imports, stays within its gzip size budget;
 * 6. once for all of them: the published `.d.ts` files type-check from a consumer project with
 *    `skipLibCheck: false` under each `@types/node` major users have (20, 22, 24 and the latest).
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
  default: 8 * 1024,
  '@latchkey/tokens': 12 * 1024,
  '@latchkey/keystore': 12 * 1024,
  // Raised from 8 KiB with issue 9: the auth cookie, the Origin rule, server-sent events from a lease and
  // the framework-error mapping are each one small module, and a consumer bundling one entry tree-shakes
  // the rest; splitting subpaths would cost every user an import path for 2 KiB.
  '@latchkey/http': 12 * 1024,
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

/**
 * Every entry a user can import. `./testing` entries come last, so every other entry is imported
 * before any optional peer of a testing entry (vitest) is installed: they must not need it.
 */
function subpaths(manifest) {
  const isTesting = (key) => key.endsWith('/testing');
  return Object.keys(manifest.exports ?? { '.': {} })
    .filter((key) => key !== './package.json')
    .sort((a, b) => Number(isTesting(a)) - Number(isTesting(b)))
    .map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`));
}

/** Imports one module specifier in the consumer project; returns the missing package's name on failure. */
function tryImport(project, spec) {
  const script = `const m = await import(${JSON.stringify(spec)}); if (Object.keys(m).length === 0) throw new Error('no exports');`;
  try {
    run('node', ['--input-type=module', '-e', script], { cwd: project });
    return undefined;
  } catch (error) {
    const missing = /Cannot find package '([^']+)'/.exec(String(error.stderr))?.[1];
    if (missing === undefined) throw error;
    return missing;
  }
}

function checkConsumer(pkg, tarballs, byName) {
  const project = mkdtempSync(join(tmpdir(), 'latchkey-consumer-'));
  const npmInstall = (specs) =>
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], { cwd: project });
  try {
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    const internal = [...internalDeps(pkg.manifest.name, byName)].map((dep) => tarballs.get(dep));
    npmInstall([...internal, tarballs.get(pkg.manifest.name)]);
    // Every entry must import with the package's dependencies alone — except an entry that exists for
    // an optional peer (an adapter, a test helper): that one may need the peer, and only a declared one.
    const peers = pkg.manifest.peerDependencies ?? {};
    const report = [];
    for (const spec of subpaths(pkg.manifest)) {
      const missing = tryImport(project, spec);
      if (missing === undefined) {
        report.push(spec);
        continue;
      }
      if (!(missing in peers))
        throw new Error(`${spec} needs ${missing}, which is not a declared dependency`);
      npmInstall([`${missing}@${peers[missing]}`]);
      const still = tryImport(project, spec);
      if (still !== undefined) throw new Error(`${spec} still cannot find ${still}`);
      report.push(`${spec} (with its optional peer ${missing})`);
    }
    return `imports ok: ${report.join(', ')}`;
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

/** An entry file and every chunk it imports statically, as a user's bundler would take them. */
function entryClosure(dir, file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(join(dir, file), 'utf8');
  for (const [, chunk] of text.matchAll(/from\s*["']\.\/([^"']+\.js)["']/g)) entryClosure(dir, chunk, seen);
  return seen;
}

function checkSizes(pkg) {
  const budget = SIZE_BUDGET_BYTES[pkg.manifest.name] ?? SIZE_BUDGET_BYTES.default;
  const sizes = [];
  for (const target of Object.values(pkg.manifest.exports ?? {})) {
    const file = typeof target === 'object' ? target.default : undefined;
    if (typeof file !== 'string' || !file.endsWith('.js')) continue;
    const dist = join(pkg.dir, 'dist');
    const files = [...entryClosure(dist, file.replace('./dist/', ''))];
    const gzipped = gzipSync(Buffer.concat(files.map((name) => readFileSync(join(dist, name))))).length;
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
/** `@types/node` majors whose declarations the published `.d.ts` must compile against. */
const TYPES_NODE_VERSIONS = ['20', '22', '24', 'latest'];

/**
 * Installs every tarball (and every peer they declare) into one consumer project, then compiles a file
 * that imports every entry, with `skipLibCheck: false`, once per `@types/node` version.
 */
function checkDeclarations(packages) {
  const project = mkdtempSync(join(tmpdir(), 'latchkey-types-'));
  const npmInstall = (specs) =>
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], { cwd: project });
  try {
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'types-consumer', private: true, type: 'module' }),
    );
    const peers = new Map();
    for (const pkg of packages)
      for (const [peer, range] of Object.entries(pkg.manifest.peerDependencies ?? {}))
        if (!byName.has(peer)) peers.set(peer, range);
    npmInstall([
      ...packages.map((pkg) => tarballs.get(pkg.manifest.name)),
      ...[...peers].map(([peer, range]) => `${peer}@${range.split('||').pop().trim()}`),
    ]);
    const entries = packages.flatMap((pkg) => subpaths(pkg.manifest));
    writeFileSync(
      join(project, 'check.ts'),
      entries
        .map(
          (spec, i) =>
            `import type * as entry${i} from ${JSON.stringify(spec)};\nexport type { entry${i} };\n`,
        )
        .join(''),
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['check.ts'],
      }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const passed = [];
    for (const version of TYPES_NODE_VERSIONS) {
      npmInstall([`@types/node@${version}`]);
      const installed = JSON.parse(
        readFileSync(join(project, 'node_modules', '@types', 'node', 'package.json'), 'utf8'),
      ).version;
      try {
        run('node', [tsc, '-p', 'tsconfig.json'], { cwd: project });
      } catch (error) {
        error.message = `under @types/node ${installed} (after ${passed.join(', ') || 'none'} passed): ${error.message}`;
        throw error;
      }
      passed.push(installed);
    }
    console.log(
      `ok   declarations of ${entries.length} entries type-check under @types/node ${passed.join(', ')}`,
    );
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

try {
  // With the selected packages' internal dependencies: a consumer installs those too.
  checkDeclarations(all.filter((pkg) => needed.has(pkg.manifest.name)));
} catch (error) {
  failures++;
  const detail = [error.stdout, error.stderr, error.message].filter(Boolean).join('\n');
  console.error(`FAIL declarations:\n${detail}`);
}

if (failures > 0) {
  console.error(`${failures} package(s) failed their checks`);
  process.exit(1);
}
console.log(`${selected.length} packages passed publint, attw and standalone installs`);
