// The published package, as a user gets it: `npm pack` (its prepack compiles a clean dist/),
// then `npm install -g` of the tarball into a scratch prefix, then the installed `tiny`.
//
// npm pack runs in a copy of the working tree (the files git knows, committed or not) so the
// repository's own dist/ is never rebuilt under other tests that are running it. The install
// takes the dependencies from npm's cache when it has them, else from the registry.

import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { run, type RunResult } from '../../src/util/exec.js';
import { REPO } from '../helpers/cli.js';

interface PackJson {
  filename: string;
  files: Array<{ path: string }>;
}

const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string>; scripts: Record<string, string> };

/** npm without the npm_* settings of an enclosing `npm test` (its prefix, its scripts' config). */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

/** The package names a file imports (static, dynamic and re-exports, and require()), node: builtins left out. */
function bareImports(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(
    /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
  )) {
    const spec = (m[1] ?? m[2] ?? m[3] ?? m[4])!;
    if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
    out.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return [...out];
}

let work: string;
let packed: PackJson;
let prefix: string;
let install: RunResult;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tiny-pack-'));
  const copy = join(work, 'src');
  const listed = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO });
  for (const rel of listed.stdout.split('\0').filter(Boolean)) {
    if (rel === 'node_modules' || rel.startsWith('dist/')) continue;
    await mkdir(dirname(join(copy, rel)), { recursive: true });
    await cp(join(REPO, rel), join(copy, rel), { verbatimSymlinks: true }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e; // deleted in the working tree, not yet in the index
    });
  }
  await symlink(join(REPO, 'node_modules'), join(copy, 'node_modules'));
  const pack = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: copy, env: npmEnv() });
  packed = (JSON.parse(pack.stdout) as PackJson[])[0]!;
  prefix = join(work, 'prefix');
  install = await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(work, packed.filename)], { cwd: work, env: npmEnv(), allowFail: true });
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships no source map, and no compiled file names one', async () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths.filter((p) => p.endsWith('.map'))).toEqual([]);
    const js = paths.filter((p) => p.startsWith('dist/') && p.endsWith('.js'));
    expect(js.length).toBeGreaterThan(10);
    const naming: string[] = [];
    for (const p of js) if ((await readFile(join(work, 'src', p), 'utf8')).includes('sourceMappingURL')) naming.push(p);
    expect(naming).toEqual([]);
  });

  it('ships what tiny reads at run time and no development script', () => {
    const paths = new Set(packed.files.map((f) => f.path));
    for (const p of [
      'bin/tiny.js',
      'dist/bundle/main.js',
      'dist/bundle/THIRD-PARTY-LICENSES',
      'dist/validators/queue.schema.cjs',
      'schema/queue.schema.json',
      'src/boot/init.c',
      'queue/queue.yaml',
      'scripts/setup.sh',
      'scripts/setup-containers.sh',
    ])
      expect(paths, p).toContain(p);
    // Of dist/, what runs: the bundled command line and the validators it loads (tsc's modules
    // are the bundle's input).
    expect([...paths].filter((p) => p.startsWith('dist/') && !/^dist\/(bundle|validators)\//.test(p))).toEqual([]);
    // screenshot.mjs needs playwright-core, test.mjs and fault-counts.mjs vitest: devDependencies.
    expect([...paths].filter((p) => /^(test|bench|docs)\/|^scripts\/(screenshot|test|fault-counts)\.mjs$|^src\/.*\.ts$/.test(p))).toEqual([]);
  });

  it('needs no devDependency at run time: every package a shipped script imports is a dependency', async () => {
    const missing: string[] = [];
    for (const { path } of packed.files) {
      if (!/\.([mc]?js)$/.test(path)) continue;
      for (const name of bareImports(await readFile(join(work, 'src', path), 'utf8'))) if (!(name in pkg.dependencies)) missing.push(`${path}: ${name}`);
    }
    expect(missing).toEqual([]);
  });

  it('has no install-time script', async () => {
    const { stdout } = await run('tar', ['-xOzf', join(work, packed.filename), 'package/package.json']);
    const scripts = Object.keys((JSON.parse(stdout) as { scripts?: Record<string, string> }).scripts ?? {});
    expect(scripts.filter((s) => /^(pre|post)?install$|^prepare$/.test(s))).toEqual([]);
  });
});

describe('npm install -g of the tarball', () => {
  it('installs without running or asking to run any script', () => {
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/install-scripts|allow-scripts/);
  });

  it('gives a working tiny on the prefix: --version, and queue list of the repository queue, found from a subdirectory', async () => {
    const bin = join(prefix, 'bin', 'tiny');
    const cache = join(work, 'cache');
    const env = { ...npmEnv(), TINY_CACHE: cache, NO_COLOR: '1', TINY_QUEUE: '' };
    const version = await run(bin, ['--version'], { env });
    expect(version.stdout.trim()).toBe(pkg.version);
    const list = await run(bin, ['queue', 'list'], { env, cwd: join(REPO, 'src', 'cli'), allowFail: true });
    expect(list.code, list.stderr).toBe(0);
    const queue = parse(await readFile(join(REPO, 'queue', 'queue.yaml'), 'utf8')) as { series: Array<{ name: string }> };
    expect(
      list.stdout
        .split('\n')
        .slice(1, -1)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(queue.series.map((p) => p.name));
  });

  it('tiny doctor from the installed tiny, its bin directory on PATH: hints say `tiny ...`, not `npx tiny ...`', async () => {
    const env = { ...npmEnv(), TINY_CACHE: join(work, 'cache'), PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` };
    const r = await run(join(prefix, 'bin', 'tiny'), ['doctor', '--no-smoke', '--json'], { env, cwd: work, allowFail: true });
    expect(r.code === 0 || r.code === 1, r.stderr).toBe(true);
    const fixes = (JSON.parse(r.stdout) as { checks: Array<{ fix: string | null }> }).checks.map((c) => c.fix ?? '');
    expect(fixes.filter((f) => f.includes('npx tiny'))).toEqual([]);
    for (const f of fixes.filter((x) => x.includes('toolchain build'))) expect(f).toMatch(/^tiny toolchain build /);
  });
});
