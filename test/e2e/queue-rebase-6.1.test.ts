// A real rebase on Linux 6.1: part of Debian's patch series (its build-system group) as a queue
// on the 6.1 orig tarball, rebased onto "6.1 + upstream-ish commits" (the orig tree with the
// group's first three patches applied, as one commit made in the tree store, named in
// queue.yaml as a git source). No worktree of the base is checked out except the rebase's own.
// Needs Debian's linux source (scripts/setup.sh), as debian-series.test.ts does.

import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tiny } from '../helpers/cli.js';
import { DEBIAN_ORIG, DEBIAN_PATCHES, DEBIAN_SRC, DEBIAN_SRC_MISSING, HAVE_DEBIAN_SERIES } from '../helpers/trees.js';
import { buildSeries, openTreeStore } from '../../src/tree/index.js';
import { resolveSource } from '../../src/source/index.js';
import { importBase } from '../../src/tree/index.js';

const SRC = DEBIAN_SRC;
const ORIG = DEBIAN_ORIG;
const PATCHES = DEBIAN_PATCHES;
const available = HAVE_DEBIAN_SERIES;
// About a minute on the shared 2-core machine (import of the orig tarball, the new base, the
// rebase of the group with the series applied in memory, a refresh).
if (!available) console.warn(`SKIP queue-rebase-6.1: ${DEBIAN_SRC_MISSING}`);

/** The series entries between two comment headers (a group of Debian's series file). */
function group(series: string, header: RegExp): string[] {
  const lines = series.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.startsWith('#')) break;
    if (l.trim()) out.push(l.trim().split(/\s+/)[0]!);
  }
  return out;
}

describe.skipIf(!available)('queue rebase on Linux 6.1 (Debian patches)', { timeout: 600_000 }, () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  const version = ORIG?.match(/linux_(6\.1\.\d+)\.orig/)?.[1] ?? '6.1';
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tiny-rebase61-'));
    env = { TINY_CACHE: join(work, 'cache') };
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("rebases part of the build-system group from orig onto orig + the group's first patches, and refreshes to no change", async () => {
    const t0 = Date.now();
    const series = await readFile(join(PATCHES, 'series'), 'utf8');
    // Upstream-ish: the first three of the build-system group (version, uname timestamp, kbuild
    // variables: Makefile and scripts); the queue: the rest of the group, which touches the same
    // Makefiles further down.
    const buildGroup = group(series, /^# Changes to support package build system/);
    const upstreamPatches = buildGroup.slice(0, 3);
    const queuePatches = buildGroup.slice(3);
    expect(queuePatches.length).toBeGreaterThan(10);

    // The new base: orig + the build-system group, one commit in the store (index-only).
    const store = await openTreeStore(env.TINY_CACHE!);
    const base = await importBase(store, await resolveSource({ kind: 'tarball', path: join(SRC, ORIG!) }, { cacheDir: env.TINY_CACHE! }), { version });
    const up = await buildSeries(store, base.commit, await Promise.all(upstreamPatches.map(async (p) => ({ name: p, text: await readFile(join(PATCHES, p)), strip: 1, reverse: false }))));
    expect(up.failure).toBeUndefined();
    const next = up.commits.at(-1)!.commit;
    const tImport = Date.now() - t0;

    // The queue: the firmware group, on orig; the new base listed under bases: as a git source.
    const q = join(work, 'queue');
    for (const p of queuePatches) {
      await mkdir(dirname(join(q, 'patches', p)), { recursive: true });
      await copyFile(join(PATCHES, p), join(q, 'patches', p));
    }
    const entries = queuePatches.map((p) => `  - name: ${p.replace(/^.*\//, '').replace(/\.patch$/, '')}\n    file: patches/${p}\n`).join('');
    await writeFile(
      join(q, 'queue.yaml'),
      `name: debian-build-system\n\nbase:\n  version: "${version}"\n  tree: ${base.tree}\n  sources:\n    - path: ${join(SRC, ORIG!)}\n\n` +
        `bases:\n  - version: "${version}-next"\n    sources:\n      - git: ${store.gitDir}\n        ref: ${next}\n\nseries:\n${entries}`,
    );

    const r = await tiny(['queue', 'rebase', '--queue', q, '--onto', `${version}-next`, '--move'], { env });
    const tRebase = Date.now() - t0 - tImport;
    expect(r.stderr).toMatch(/rebasing \d+ patches from 6\.1\.\d+/);
    console.log(r.stdout);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rows = r.stdout
      .split('mergeability')[0]!
      .split('\n')
      .filter((l) => queuePatches.some((p) => l.startsWith(p.replace(/^.*\//, '').replace(/\.patch$/, '') + ' ')));
    expect(rows).toHaveLength(queuePatches.length);
    for (const row of rows) expect(row).toMatch(/\s(clean|merged|upstream)\b/);
    expect(r.stdout).toMatch(new RegExp(`^patch\\s+${version.replace(/\./g, '\\.')}-next\\s+${version.replace(/\./g, '\\.')}$`, 'm'));
    expect(await readFile(join(q, 'queue.yaml'), 'utf8')).toMatch(new RegExp(`^base:\\n  version: "${version.replace(/\./g, '\\.')}-next"\\n  tree: [0-9a-f]{40}\\n`, 'm'));

    const again = await tiny(['queue', 'refresh', '--queue', q], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^0 of ${queuePatches.length} patches changed$`, 'm'));
    console.log(`6.1 rebase: import + new base ${tImport} ms, rebase ${tRebase} ms, refresh ${Date.now() - t0 - tImport - tRebase} ms`);
  });
});
