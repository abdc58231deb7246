// `tiny diff` against the kernel's own scripts/bloat-o-meter, on real ELF files compiled here
// with gcc -O2 (statics, .constprop/.isra/.part/.cold clones, data, bss, rodata, weak symbols;
// x86-64 objects and executables, i386 ones when i686-linux-gnu-gcc is installed), then the
// same comparisons through the record store (keys, prefixes, toggles of a run), the Markdown
// and JSON outputs, and the errors.
//
// The reference script: $TINY_BLOAT_O_METER, a copy cached in the temp dir by an earlier run,
// or scripts/bloat-o-meter extracted from /usr/src/linux-source-*.tar.xz or from Debian's
// orig tarball in ~/.cache/tiny-src. Without it (or python3, gcc, nm) the parity tests skip
// and say why.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNm } from '../../src/measure/parse.js';
import type { SymbolEntry } from '../../src/measure/types.js';
import { openRecordStore, save, writeRunIndex, type BuildInputs, type RecordStore } from '../../src/store/index.js';
import { run } from '../../src/util/exec.js';
import { sha256 } from '../../src/util/fs.js';
import { findBloatOMeter, runBloatOMeter } from '../helpers/bloat-o-meter.js';
import { TINY_BIN, tiny } from '../helpers/cli.js';
import { missingPrerequisites } from '../helpers/prereqs.js';
import { expectJsonOutput } from '../helpers/json-contract.js';

const missingWhy = await missingPrerequisites('python3', 'gcc', 'nm');
const missingTools = missingWhy ? [missingWhy] : [];
// A cross compiler alone is not enough: linking needs its C library (libc6-dev-i386-cross).
const haveI686 = (await missingPrerequisites('i686-libc')) === undefined;

// Functions that grow, shrink, appear and disappear; GCC clones whose suffix changes between the
// two versions (scale.constprop.0 -> scale, field_sum.constprop.0.isra.0(.cold) -> field_sum(.cold),
// slowpath.part.0 -> slowpath); static locals (n.0), data, bss, rodata, a weak function.
const SOURCE = `
#include <stdlib.h>
struct ctx { int a, b, c, d; long pad[8]; };
extern int sink(int);
__attribute__((cold, noinline)) void report_error(const char *m) { (void)m; abort(); }
#ifdef NEW
#define K2 4
int more_data[4] = {1, 2, 3, 4};
const char banner[] = "version two, longer";
int big_table[120];
#else
#define K2 3
const char banner[] = "version one";
int big_table[100];
#endif
__attribute__((weak)) int weak_fn(int x) { return x + 1; }
static __attribute__((noinline)) int scale(int x, int k) { int s = 0; for (int i = 0; i < x; i++) s += i * k + (s >> 3) + (s % (k + 1)); return s; }
static int field_sum(struct ctx *c, int mode) {
  int a = c->a, b = c->b;
  int s = 0;
  for (int i = 0; i < a; i++) s += (i ^ b) + s / 3 + sink(i * mode);
  if (__builtin_expect(s == 12345, 0)) report_error("field_sum");
  for (int i = 0; i < b; i++) s += (i * a) + s / 5 + sink(s);
  for (int i = 0; i < a; i++) s -= sink(i + s) + (s >> 2);
  return s;
}
#ifdef NEW
int (*field_sum_hook)(struct ctx *, int) = field_sum;
#endif
static int slowpath(int *t, int n, int key) {
#ifndef NEW
  if (__builtin_expect(n <= 0, 1)) return -1;
#endif
  for (int i = 0; i < n; i++) { if (t[i] == key) return i; if (t[i] > key * 3) { t[i] ^= sink(key); } }
  for (int i = 0; i < n; i++) t[i] += key * i + t[(i * 7) % n] + sink(i);
  for (int i = 0; i < n; i++) t[i] -= t[(i * 3) % n] / (key + 1) + sink(t[i]);
  for (int i = 0; i < n; i++) t[i] ^= sink(t[i] + key);
  return n;
}
static int counter(void) { static int n; return ++n; }
int table[64];
int api1(struct ctx *c, int *t) { return field_sum(c, 1) + slowpath(t, c->c, 5) + scale(c->a, 3) + counter(); }
int api2(struct ctx *c, int *t) { return field_sum(c, 1) * 2 + slowpath(t, c->d, 9) + scale(c->b, K2); }
int api3(struct ctx *c, int *t, int n) { return field_sum(c, 1) + slowpath(t, n, 11) + slowpath(t, n - 1, 12); }
#ifndef NEW
int removed_fn(int x) { return x * 3 + scale(x, 3) - counter(); }
#else
int added_fn(int x) { return x * 5 + scale(x, 9) - counter() + more_data[x & 3]; }
#endif
int sink(int x) { return table[x & 63] += x + big_table[x & 63]; }
int main(int argc, char **argv) { struct ctx c = { argc, argc + 1, argc, argc }; (void)argv; return api1(&c, table) + api2(&c, table) + api3(&c, table, argc) + banner[argc] + weak_fn(argc); }
`;

const MODES = [[], ['-c'], ['-d'], ['-t']];
const PAIRS: Array<[string, string, string[][]]> = [
  ['old', 'new', MODES],
  ['new', 'old', MODES],
  ['old.o', 'new.o', MODES],
  ['old.o', 'old-O1.o', [[]]],
  ['old', 'old', [[]]],
  ...(haveI686 ? ([['old-i386', 'new-i386', MODES]] as Array<[string, string, string[][]]>) : []),
];

let dir: string;
let cache: string;
let script: { path?: string; why?: string } = {};
const want = new Map<string, string>();
const env = () => ({ TINY_CACHE: cache });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tiny-diff-'));
  cache = join(dir, 'cache');
  if (missingTools.length) return;
  script = await findBloatOMeter();
  await writeFile(join(dir, 'prog.c'), SOURCE);
  for (const v of ['old', 'new']) {
    const def = v === 'new' ? ['-DNEW'] : [];
    await run('gcc', ['-O2', ...def, '-o', v, 'prog.c'], { cwd: dir });
    await run('gcc', ['-O2', ...def, '-c', '-o', `${v}.o`, 'prog.c'], { cwd: dir });
    await run('gcc', ['-O1', ...def, '-c', '-o', `${v}-O1.o`, 'prog.c'], { cwd: dir });
    if (haveI686) await run('i686-linux-gnu-gcc', ['-O2', ...def, '-o', `${v}-i386`, 'prog.c'], { cwd: dir });
  }
  if (!script.path) return;
  // One Python process runs the unmodified script once per comparison (runpy, fresh globals).
  const jobs = PAIRS.flatMap(([a, b, modes]) => modes.map((m) => [...m, a, b]));
  const outs = await runBloatOMeter(script.path, jobs, dir);
  jobs.forEach((args, i) => {
    want.set(args.join(' '), outs[i]!);
  });
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(missingTools.length > 0)(`tiny diff A B = scripts/bloat-o-meter A B${missingTools.length ? ` (skipped: ${missingTools.join(', ')} missing)` : ''}`, () => {
  for (const [a, b, modes] of PAIRS)
    for (const m of modes)
      it(`$ tiny diff ${[...m, a, b].join(' ')}`, async (ctx) => {
        if (!script.path) ctx.skip(script.why);
        const r = await tiny(['diff', ...m, a, b], { cwd: dir, env: env() });
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toBe(want.get([...m, a, b].join(' ')));
      });

  it('the compiled pair has what the parity tests claim to cover', async () => {
    const nm = async (f: string) => parseNm((await run('nm', ['--size-sort', '-S', f], { cwd: dir })).stdout).map((s) => s.name);
    const old = await nm('old');
    expect(old).toEqual(expect.arrayContaining(['n.0', 'scale.constprop.0', 'slowpath.part.0', 'field_sum.constprop.0.isra.0', 'field_sum.constprop.0.isra.0.cold', 'weak_fn', 'big_table', 'banner']));
    expect(await nm('new')).toEqual(expect.arrayContaining(['scale', 'slowpath', 'field_sum', 'field_sum.cold', 'more_data', 'added_fn']));
  });

  it('$ tiny diff --rename-aware old new: renames instead of adds and removes, same totals', async () => {
    const plain = (await tiny(['diff', 'old', 'new'], { cwd: dir })).stdout.split('\n');
    const r = await tiny(['diff', '--rename-aware', 'old', 'new'], { cwd: dir });
    const lines = r.stdout.split('\n');
    expect(lines[1]).toBe('rename: 4');
    expect(lines[2]).toBe(plain[1]); // the header
    expect(lines.filter((l) => l.includes(' -> ')).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual(
      expect.arrayContaining(['scale.constprop -> scale', 'slowpath.part -> slowpath', 'field_sum.constprop.isra -> field_sum', 'field_sum.constprop.isra.cold -> field_sum.cold']),
    );
    const net = (l: string) => /\((-?\d+)\)$/.exec(l)![1];
    expect(net(lines[0]!)).toBe(net(plain[0]!));
    expect(lines.at(-2)).toBe(plain.at(-2)); // Total: Before=..., After=..., chg ...%
    const counts = (l: string) => /add\/remove: (\d+)\/(\d+)/.exec(l)!.slice(1).map(Number);
    expect(counts(lines[0]!).map((n, i) => n + 4 - counts(plain[0]!)[i]!)).toEqual([0, 0]);
  });
});

// ---- records ---------------------------------------------------------------------------------

const H = (c: string) => c.repeat(64);
const inputs = (tag: string): BuildInputs => ({
  baseTree: 'a'.repeat(40),
  patches: [H('1')],
  config: sha256(tag),
  toolchain: { name: 'gcc-12-i386', image: 'sha256:' + H('d') },
  arch: 'i386',
  makeVariables: { ARCH: 'i386' },
  env: {},
  targets: ['vmlinux'],
  toolVersion: '0.1.0',
  runtime: 'host',
});

async function saveRecord(store: RecordStore, tag: string, toggle: string, symbols: SymbolEntry[], opts: { vmlinux?: string; failed?: boolean } = {}): Promise<string> {
  const cfg = join(dir, `${tag}.config`);
  await writeFile(cfg, tag);
  const { record } = await save(
    store,
    {
      inputs: inputs(tag),
      config: 'clones',
      toggle: { name: toggle },
      patches: [{ name: 'p', sha256: H('1') }],
      status: opts.failed ? 'failed' : 'ok',
      hermetic: false,
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: '2026-01-01T00:00:01Z',
      durationsMs: {},
      diagnostics: { warnings: 0, errors: opts.failed ? 1 : 0 },
      ...(opts.failed ? {} : { measurement: { size: { text: 1, data: 0, bss: 0, dec: 1 }, files: {}, sha256: {}, dirs: [], tools: { size: 'size', nm: 'nm' } } }),
    },
    { config: cfg, symbols, ...(opts.vmlinux ? { vmlinux: opts.vmlinux } : {}) },
  );
  return record.key;
}

const t = (name: string, size: number, type = 't'): SymbolEntry => ({ name, type, size });

describe.skipIf(missingTools.length > 0)('tiny diff on stored records', () => {
  const keys: Record<string, string> = {};
  beforeAll(async () => {
    const store = await openRecordStore(cache);
    const nm = async (f: string) => parseNm((await run('nm', ['--size-sort', '-S', f], { cwd: dir })).stdout);
    keys.old = await saveRecord(store, 'old', 'queue', await nm('old'), { vmlinux: join(dir, 'old') });
    keys.new = await saveRecord(store, 'new', 'flip:clones', await nm('new'), { vmlinux: join(dir, 'new') });
    keys.a = await saveRecord(store, 'a', 'base', [t('do_fork', 1000, 'T'), t('helper.isra.0', 48), t('table', 400, 'D'), t('old_fn', 20)]);
    keys.b = await saveRecord(store, 'b', 'all-off', [t('do_fork', 1100, 'T'), t('helper.constprop.0', 40), t('table', 380, 'D'), t('new_fn', 28)]);
    keys.failed = await saveRecord(store, 'failed', 'flip:broken', [], { failed: true });
    const many = (d: number) => Array.from({ length: 6000 }, (_, i) => t(`fn_${i}`, 100 + i + d));
    keys.big1 = await saveRecord(store, 'big1', 'queue', many(0));
    keys.big2 = await saveRecord(store, 'big2', 'queue', many(1));
    await writeRunIndex(cache, {
      config: 'clones',
      startedAt: '2026-01-01T00:00:00Z',
      toggles: [
        { toggle: 'queue', key: keys.old, status: 'ok' },
        { toggle: 'flip:clones', key: keys.new, status: 'ok' },
        { toggle: 'base', key: keys.a, status: 'ok' },
        { toggle: 'all-off', key: keys.b, status: 'ok' },
      ],
    });
  });

  it('$ tiny diff KEY KEY: the stored symbol tables give the numbers of the files', async (ctx) => {
    if (!script.path) ctx.skip(script.why);
    const r = await tiny(['diff', keys.old!, keys.new!], { env: env() });
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', want.get('old new')]);
    const short = await tiny(['diff', '-c', keys.old!.slice(0, 8), keys.new!.slice(0, 8)], { env: env() });
    expect(short.stdout).toBe(want.get('-c old new'));
    const toggles = await tiny(['diff', '--config', 'clones', 'queue', 'flip:clones'], { env: env() });
    expect(toggles.stdout).toBe(want.get('old new'));
  });

  it('$ tiny diff --rename-aware (text, md, json)', async () => {
    const a = keys.a!.slice(0, 10);
    const b = keys.b!.slice(0, 10);
    const text = await tiny(['diff', '--rename-aware', a, b], { env: env() });
    expect(`$ tiny diff --rename-aware ${a} ${b}\n${text.stdout}`).toBe(`$ tiny diff --rename-aware ${a} ${b}
add/remove: 1/1 grow/shrink: 1/2 up/down: 128/-48 (80)
rename: 1
Function                                     old     new   delta
do_fork                                     1000    1100    +100
new_fn                                         -      28     +28
helper.isra -> helper.constprop               48      40      -8
table                                        400     380     -20
old_fn                                        20       -     -20
Total: Before=1468, After=1548, chg +5.45%
`);
    const md = await tiny(['diff', '--rename-aware', '--config', 'clones', 'base', 'all-off', '--format', 'md'], { env: env() });
    expect(md.stdout).toBe(`### Symbol sizes: clones base (${keys.a!.slice(0, 12)}) -> clones all-off (${keys.b!.slice(0, 12)})

\`add/remove: 1/1 grow/shrink: 1/2 up/down: 128/-48 (80)\` — 1 renamed

| Function | old | new | delta |
|---|---:|---:|---:|
| \`do_fork\` | 1000 | 1100 | +100 |
| \`new_fn\` | - | 28 | +28 |
| \`helper.isra -> helper.constprop\` | 48 | 40 | -8 |
| \`table\` | 400 | 380 | -20 |
| \`old_fn\` | 20 | - | -20 |

Total: Before=1468, After=1548, chg +5.45%
`);
    const json = expectJsonOutput('diff', (await tiny(['diff', '--rename-aware', '--json', '--config', 'clones', 'base', keys.b!], { env: env() })).stdout);
    expect(json).toMatchObject({
      old: { arg: 'base', kind: 'record', key: keys.a, config: 'clones', toggle: 'base' },
      new: { arg: keys.b, kind: 'record', key: keys.b, toggle: 'all-off' },
      mode: 'default',
      rename_aware: true,
    });
    expect(json.sections).toEqual([
      {
        label: 'Function',
        types: 'tTdDbBrR',
        add: 1,
        remove: 1,
        grow: 1,
        shrink: 2,
        rename: 1,
        up: 128,
        down: 48,
        net: 80,
        before: 1468,
        after: 1548,
        chg_percent: '+5.45',
        changes: [
          { name: 'do_fork', renamed_from: null, old: 1000, new: 1100, delta: 100 },
          { name: 'new_fn', renamed_from: null, old: null, new: 28, delta: 28 },
          { name: 'helper.constprop', renamed_from: 'helper.isra', old: 48, new: 40, delta: -8 },
          { name: 'table', renamed_from: null, old: 400, new: 380, delta: -20 },
          { name: 'old_fn', renamed_from: null, old: 20, new: null, delta: -20 },
        ],
      },
    ]);
  });

  it('$ tiny diff -c --json old new: two files, three sections', async () => {
    const r = await tiny(['diff', '-c', '--json', 'old', 'new'], { cwd: dir, env: env() });
    expect(r.code, r.stderr).toBe(0);
    const json = expectJsonOutput('diff', r.stdout) as { old: unknown; mode: string; sections: Array<{ label: string; rename: number | null }> };
    expect(json.old).toEqual({ arg: 'old', kind: 'file', path: join(dir, 'old'), key: null, config: null, toggle: null });
    expect(json.mode).toBe('c');
    expect(json.sections.map((s) => [s.label, s.rename])).toEqual([
      ['Function', null],
      ['Data', null],
      ['RO Data', null],
    ]);
  });

  it('bad input: exit 2 and why', async () => {
    const e = async (args: string[]) => {
      const r = await tiny(['diff', ...args], { cwd: dir, env: env() });
      return [r.code, r.stdout, r.stderr];
    };
    expect(await e(['old', 'nosuch'])).toEqual([
      2,
      '',
      'tiny: nosuch: no such file\n  hint: give two vmlinux files, two record keys (or unique prefixes of 4+ hex digits), or --config NAME and two toggle names\n',
    ]);
    expect(await e(['old', 'prog.c'])).toEqual([2, '', `tiny: nm cannot read prog.c: nm: ${dir}/prog.c: file format not recognized\n`]);
    expect(await e(['old', 'ffff0000'])).toEqual([2, '', `tiny: ffff0000: no such file, and no record with that key in ${cache}/records\n`]);
    expect(await e([keys.failed!.slice(0, 12), 'old'])).toEqual([2, '', `tiny: record ${keys.failed!.slice(0, 12)} (clones flip:broken) is a failed build: it has no symbol table to compare\n`]);
    expect(await e(['--config', 'clones', 'queue', 'flip:clone'])).toEqual([
      2,
      '',
      'tiny: flip:clone: no such file, and no toggle flip:clone in the last clones run\n  hint: did you mean flip:clones?\n',
    ]);
    expect(await e(['--config', 'nope', 'queue', 'base'])).toEqual([2, '', `tiny: no \`tiny build --config nope\` run recorded in ${cache}\n`]);
    expect((await e(['-c', '-t', 'old', 'new']))[0]).toBe(2);
  });

  it('a closed pipe ends the output quietly, as bloat-o-meter does', async () => {
    // 6000 changed symbols: far more than a pipe buffer, so tiny is still writing when head exits.
    const r = await run('bash', ['-c', `set -o pipefail; node '${TINY_BIN}' diff ${keys.big1} ${keys.big2} | head -n 2`], { cwd: dir, env: { ...process.env, ...env() }, allowFail: true });
    expect(r.stdout).toBe('add/remove: 0/0 grow/shrink: 6000/0 up/down: 6000/0 (6000)\nFunction                                     old     new   delta\n');
    expect([r.code, r.stderr]).toEqual([0, '']);
  });

  it('documents its exit status', async () => {
    expect((await tiny(['diff', '--help'])).stdout).toContain('Exit status: 0 compared, 2 bad input');
  });
});
