// scripts/setup.sh installs everything the tests use: each host program the code and the tests
// spawn by name is in test/prerequisites.yaml with its Debian package; each such package is
// installed by scripts/setup.sh or scripts/setup-containers.sh by name (or is Essential in
// Debian); on this machine, dpkg agrees that the program comes from that package; and every
// capability probe passes where its package is installed.

import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/util/exec.js';
import { REPO } from '../helpers/cli.js';
import { PREREQUISITES } from '../helpers/prereqs.js';

/** The words of every PACKAGES=( ... ) array in the set-up scripts. */
function setupPackages(): Set<string> {
  const out = new Set<string>();
  for (const f of ['scripts/setup.sh', 'scripts/setup-containers.sh']) {
    const text = readFileSync(join(REPO, f), 'utf8');
    for (const m of text.matchAll(/^PACKAGES=\(([^)]*)\)/gm)) for (const w of m[1]!.split(/\s+/)) if (w) out.add(w);
  }
  return out;
}

/** Program names spawned literally: run, stream, start, sh, spawn, spawnSync ... called with a quoted name first. */
function spawnedPrograms(): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(join(REPO, dir))) {
      const rel = join(dir, e);
      if (statSync(join(REPO, rel)).isDirectory()) {
        if (e !== 'fixtures' && e !== 'node_modules') walk(rel);
      } else if (/\.(ts|mjs|js)$/.test(e)) {
        const text = readFileSync(join(REPO, rel), 'utf8');
        for (const m of text.matchAll(/\b(?:run|stream|start|sh|spawn|spawnSync|execFile|execFileSync)\(\s*'([a-z0-9][\w.+-]*)'/g)) if (!found.has(m[1]!)) found.set(m[1]!, rel);
      }
    }
  };
  for (const d of ['src', 'test', 'scripts', 'bench']) walk(d);
  return found;
}

async function isEssential(pkg: string): Promise<boolean> {
  const r = await run('dpkg-query', ['-W', '-f=${Essential}', pkg], { allowFail: true });
  return r.stdout.trim() === 'yes';
}

/** The package dpkg says a program's file belongs to (trying the usrmerge /bin alias too). */
async function owner(program: string): Promise<string | undefined> {
  const which = await run('sh', ['-c', `command -v -- '${program}'`], { allowFail: true });
  const path = which.stdout.trim();
  if (which.code !== 0 || !path.startsWith('/')) return undefined;
  const candidates = [path, realpathSync(path), `/usr/bin/${program}`, `/bin/${program}`, `/usr/sbin/${program}`, `/sbin/${program}`];
  for (const c of candidates) {
    const r = await run('dpkg', ['-S', c], { allowFail: true });
    const line = r.stdout.split('\n').find((l) => l && !l.startsWith('diversion by'));
    if (r.code === 0 && line) return line.split(':')[0]!.split(',')[0]!.trim();
  }
  return undefined;
}

describe('test/prerequisites.yaml: what the tests run, and where it comes from', () => {
  it('lists every program the code and the tests spawn by name (node, npm and npx come with Node.js itself)', () => {
    const unlisted = [...spawnedPrograms()].filter(([p]) => !(p in PREREQUISITES.programs) && p !== 'node' && p !== 'npm' && p !== 'npx').map(([p, f]) => `${p} (${f})`);
    expect(unlisted).toEqual([]);
  });

  it('every package it names is installed by scripts/setup.sh or setup-containers.sh by name, or is Essential', async () => {
    const installed = setupPackages();
    const pkgs = new Set([...Object.values(PREREQUISITES.programs), ...Object.values(PREREQUISITES.capabilities).map((c) => c.package)]);
    const missing: string[] = [];
    for (const p of pkgs) if (!installed.has(p) && !(await isEssential(p))) missing.push(p);
    expect(missing).toEqual([]);
  });

  it('on this machine, dpkg says each installed program comes from the package listed', async () => {
    const wrong: string[] = [];
    for (const [program, pkg] of Object.entries(PREREQUISITES.programs)) {
      const got = await owner(program);
      // A program found outside any package (a pyenv shim, a hand install) proves nothing either way.
      if (got !== undefined && got !== pkg && !got.startsWith(`${pkg}-`) && !(pkg === 'binutils' && got.startsWith('binutils-'))) wrong.push(`${program}: listed ${pkg}, dpkg says ${got}`);
    }
    expect(wrong).toEqual([]);
  }, 60_000);

  it('each capability probe passes where its package is installed', async () => {
    const failed: string[] = [];
    for (const [name, cap] of Object.entries(PREREQUISITES.capabilities)) {
      const installed = (await run('dpkg-query', ['-W', '-f=${Status}', cap.package], { allowFail: true })).stdout.includes('install ok installed');
      if (!installed) continue;
      const r = await run('sh', ['-c', cap.probe], { allowFail: true });
      if (r.code !== 0) failed.push(`${name} (${cap.package} installed): ${r.stderr.trim().split('\n').pop()}`);
    }
    expect(failed).toEqual([]);
  }, 60_000);
});
