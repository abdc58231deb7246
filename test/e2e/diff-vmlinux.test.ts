// `tiny diff` on real kernels: every pair of vmlinux files found is compared by tiny and by the
// kernel's own scripts/bloat-o-meter (default, -c, -d, -t) and must print the same bytes; the
// rename-aware mode must keep bloat-o-meter's totals. Where the pairs come from, in order:
//   - $TINY_VMLINUX_PAIRS: "old:new[,old:new...]" (any two ELF files);
//   - the record store of the run's e2e cache ($TINY_E2E_CACHE: in `npm test` the 2.6.9
//     flagship gate has built webserver-tiny's base, queue and all-off there just before), else
//     of the user's cache ($TINY_CACHE, else ~/.cache/tiny): the latest run of each
//     configuration, `queue` against each other toggle whose record kept its vmlinux (both as
//     the extracted files and as record keys, which use the stored symbol tables);
//   - the build directories `tiny build` leaves in the cache (<cache>/builds/*/vmlinux).
// With none of them the test skips and says so (run `tiny build --config NAME` first); in CI,
// where the flagship gate has just built them, it fails instead.

import { existsSync } from 'node:fs';
import { mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestRun, openRecordStore, readArtifact } from '../../src/store/index.js';
import { cacheDir } from '../../src/util/cache.js';
import { run } from '../../src/util/exec.js';
import { findBloatOMeter } from '../helpers/bloat-o-meter.js';
import { tiny } from '../helpers/cli.js';

const CACHE = process.env.TINY_E2E_CACHE ?? cacheDir();
interface Pair {
  label: string;
  old: string;
  new: string;
  /** Record keys, when the pair comes from the store. */
  keys?: [string, string];
}

async function isElf(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'r');
    try {
      const b = Buffer.alloc(4);
      await fh.read(b, 0, 4, 0);
      return b.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

const MAX_PAIRS = 4;

async function findPairs(work: string): Promise<{ pairs: Pair[]; looked: string[] }> {
  const looked: string[] = [];
  const pairs: Pair[] = [];
  const env = process.env.TINY_VMLINUX_PAIRS;
  if (env) {
    for (const p of env.split(',').filter(Boolean)) {
      const [a, b] = p.split(':').map((x) => resolve(x));
      if (a && b && (await isElf(a)) && (await isElf(b))) pairs.push({ label: `${a} -> ${b}`, old: a, new: b });
    }
    looked.push(`$TINY_VMLINUX_PAIRS (${pairs.length} usable)`);
  }
  // Records of the latest run of each configuration.
  const store = await openRecordStore(CACHE);
  const configs = (await readdir(join(CACHE, 'runs')).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  looked.push(`records of the runs in ${CACHE}/runs (${configs.length} configurations)`);
  for (const config of configs.sort()) {
    const runIdx = await latestRun(store, config).catch(() => undefined);
    const withVmlinux = (runIdx?.results ?? []).filter((r) => r.record?.status === 'ok' && r.record.artifacts.vmlinux && r.record.artifacts.symbols);
    const queue = withVmlinux.find((r) => r.toggle === 'queue') ?? withVmlinux[0];
    if (!queue) continue;
    const extract = async (key: string, rec: NonNullable<typeof queue.record>) => {
      const file = join(work, `${config}-${key.slice(0, 12)}.vmlinux`);
      if (!existsSync(file)) await writeFile(file, (await readArtifact(store, rec, 'vmlinux'))!);
      return file;
    };
    for (const other of withVmlinux.filter((r) => r.key !== queue.key).slice(0, 3)) {
      if (pairs.length >= MAX_PAIRS) break;
      pairs.push({
        label: `${config}: ${queue.toggle} -> ${other.toggle}`,
        old: await extract(queue.key, queue.record!),
        new: await extract(other.key, other.record!),
        keys: [queue.key, other.key],
      });
    }
  }
  // Build directories.
  if (pairs.length < MAX_PAIRS) {
    const builds = join(CACHE, 'builds');
    const dirs = (await readdir(builds).catch(() => [] as string[])).sort();
    const found: string[] = [];
    for (const d of dirs) if (await isElf(join(builds, d, 'vmlinux'))) found.push(join(builds, d, 'vmlinux'));
    looked.push(`${builds}/*/vmlinux (${found.length} found)`);
    for (let i = 1; i < found.length && pairs.length < MAX_PAIRS; i++)
      pairs.push({ label: `${basename(resolve(found[0]!, '..'))} -> ${basename(resolve(found[i]!, '..'))}`, old: found[0]!, new: found[i]! });
  }
  return { pairs, looked };
}

const work = await mkdtemp(join(tmpdir(), 'tiny-e2e-diff-'));
const { pairs, looked } = await findPairs(work);
const why = pairs.length ? '' : `no real vmlinux pair: looked at ${looked.join('; ')}. Run \`tiny build --config NAME\` (records keep vmlinux), or set TINY_VMLINUX_PAIRS=old:new`;
if (why) console.log(`diff-vmlinux e2e: skipped; ${why}`);
if (why && process.env.CI) {
  describe('tiny diff on real vmlinux pairs', () => {
    it('has real pairs in CI (the 2.6.9 flagship gate builds them first)', () => {
      throw new Error(why);
    });
  });
}

const MODES = [[], ['-c'], ['-d'], ['-t']];

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe.skipIf(!pairs.length)(`tiny diff on real vmlinux pairs = scripts/bloat-o-meter${why ? ` (skipped: ${why})` : ''}`, () => {
  let script: { path?: string; why?: string } = {};
  const want = new Map<string, string>();
  beforeAll(async () => {
    script = await findBloatOMeter();
    if (!script.path) return;
    for (const p of pairs) for (const m of MODES) want.set(`${p.label} ${m.join('')}`, (await run('python3', [script.path, ...m, p.old, p.new])).stdout);
  }, 600_000);

  for (const p of pairs) {
    for (const m of MODES)
      it(`${p.label}${m.length ? ` (${m.join(' ')})` : ''}`, async (ctx) => {
        if (!script.path) ctx.skip(script.why);
        const r = await tiny(['diff', ...m, p.old, p.new]);
        expect([r.code, r.stderr]).toEqual([0, '']);
        expect(r.stdout).toBe(want.get(`${p.label} ${m.join('')}`));
        if (p.keys && m.length === 0) {
          // The stored symbol tables give the same numbers as the files.
          const k = await tiny(['diff', p.keys[0].slice(0, 16), p.keys[1].slice(0, 16)], { env: { TINY_CACHE: CACHE } });
          expect(k.stdout).toBe(r.stdout);
        }
      }, 120_000);

    it(`${p.label} --rename-aware keeps the totals`, async () => {
      const plain = (await tiny(['diff', p.old, p.new])).stdout.trimEnd().split('\n');
      const ra = (await tiny(['diff', '--rename-aware', p.old, p.new])).stdout.trimEnd().split('\n');
      expect(ra[1]).toMatch(/^rename: \d+$/);
      const n = Number(ra[1]!.slice('rename: '.length));
      const head = (l: string) => /^add\/remove: (\d+)\/(\d+) grow\/shrink: \d+\/\d+ up\/down: \d+\/-?\d+ \((-?\d+)\)$/.exec(l)!.slice(1).map(Number);
      const [pa, pr, pn] = head(plain[0]!);
      const [ra_, rr, rn] = head(ra[0]!);
      expect([ra_! + n, rr! + n, rn]).toEqual([pa, pr, pn]);
      expect(ra.at(-1)).toBe(plain.at(-1)); // Total: Before=..., After=..., chg ...%
      const renamed = ra.filter((l) => / -> /.test(l));
      expect(renamed).toHaveLength(n);
      if (n)
        console.log(
          `${p.label}: ${n} renames, e.g. ${renamed
            .slice(0, 3)
            .map((l) => l.replace(/\s+/g, ' ').trim())
            .join('; ')}`,
        );
    }, 120_000);
  }
});
