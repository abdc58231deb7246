#!/usr/bin/env node
// Benchmark: `tiny queue check` (in order + alone + reverse + pairs) on Debian's real 6.1
// series against `quilt push -a` of the same series on the same tree, measured in one run;
// and tiny's first import of the orig tarball against a plain `tar -x`.
// Usage: node bench/queue-check.mjs   (after `npm run build` and scripts/setup.sh)
// Prints timings and ratios; the machine is shared and noisy, so only ratios mean anything.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SRC = process.env.TINY_DEBIAN_SRC ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tiny-src');
const orig = readdirSync(SRC).find((f) => /^linux_6\.1\.\d+\.orig\.tar\.xz$/.test(f));
if (!orig) throw new Error(`no linux_6.1.*.orig.tar.xz in ${SRC}: run scripts/setup.sh`);
const version = orig.match(/linux_(6\.1\.\d+)/)[1];
const patches = join(SRC, 'debian', 'patches');
const work = mkdtempSync(join(tmpdir(), 'tiny-bench-qc-'));
const env = { ...process.env, TINY_CACHE: join(work, 'cache') };
const tinyArgs = (args) => [join(REPO, 'bin/tiny.js'), ...args];

function timed(label, fn) {
  const t0 = process.hrtime.bigint();
  fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${label.padEnd(52)} ${s.toFixed(2).padStart(8)} s`);
  return s;
}
function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28, ...opts });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r;
}

try {
  const series = execFileSync('grep', ['-cv', '^\\s*\\(#\\|$\\)', join(patches, 'series')]).toString().trim();
  console.log(`Debian linux ${version}: ${series} patches; ${new Date().toISOString()}\n`);
  sh('node', tinyArgs(['queue', 'import-quilt', patches, '--out', join(work, 'queue'), '--base-version', version, '--base-source', join(SRC, orig)]), { env });

  const tarDir = join(work, 'tar');
  mkdirSync(tarDir);
  const tarX = timed('plain tar -xf of the orig tarball', () => sh('tar', ['-xf', join(SRC, orig), '-C', tarDir]));
  const firstImport = timed('tiny: first import of the tarball (cold cache)', () =>
    sh('node', [
      '--input-type=module',
      '-e',
      `import { resolveSource } from '${REPO}/dist/source/index.js';
       import { openTreeStore, importBase } from '${REPO}/dist/tree/index.js';
       const store = await openTreeStore(process.env.TINY_CACHE);
       const src = await resolveSource({ kind: 'tarball', path: '${join(SRC, orig)}' }, { cacheDir: process.env.TINY_CACHE });
       await importBase(store, src, { version: '${version}' });`,
    ], { env }),
  );

  const quiltTree = join(tarDir, readdirSync(tarDir)[0]);
  const quilt = timed('quilt push -a (apply only, in order)', () =>
    sh('quilt', ['push', '-a', '-q'], { cwd: quiltTree, env: { ...process.env, QUILT_PATCHES: patches } }),
  );
  const check = timed('tiny queue check (order + alone + reverse + pairs)', () =>
    sh('node', tinyArgs(['queue', 'check', '--queue', join(work, 'queue'), '--json']), { env }),
  );
  const check2 = timed('tiny queue check again (warm cache)', () =>
    sh('node', tinyArgs(['queue', 'check', '--queue', join(work, 'queue'), '--json']), { env }),
  );
  const apply = timed('tiny queue apply --out (git apply, one commit each)', () =>
    sh('node', tinyArgs(['queue', 'apply', '--queue', join(work, 'queue'), '--out', join(work, 'applied')]), { env }),
  );
  console.log('');
  console.log(`ratio quilt push -a / tiny queue check:        ${(quilt / check).toFixed(1)}x  (goal >= 5x, checking 3x as much)`);
  console.log(`ratio quilt push -a / tiny queue check (warm): ${(quilt / check2).toFixed(1)}x`);
  console.log(`ratio tiny first import / tar -x:              ${(firstImport / tarX).toFixed(2)}x`);
  console.log(`ratio tiny queue apply / quilt push -a:        ${(apply / quilt).toFixed(2)}x`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
