// `tiny report` end to end on a record store written with the store API: a fake but coherent
// run of a 2.6.9 web-server configuration, "tinyweb" (sizes, per-directory sizes and bzImage
// derived from the symbol tables; .config files per toggle), one run with a failed and a
// missing toggle, budgets declared by a configuration file, and the HTML page loaded in
// Debian's headless Chromium through playwright-core.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SymbolEntry } from '../../src/measure/types.js';
import { openRecordStore, recordKey, save, writeRunIndex, type BuildInputs, type BuildRecordDraft, type RecordStore, type RunEntry } from '../../src/store/index.js';
import { sha256 } from '../../src/util/fs.js';
import { REPO, sh, tiny, type CliResult } from '../helpers/cli.js';
import { expectJsonOutput } from '../helpers/json-contract.js';

// ---- the fixture: a kernel as a list of symbols, each in a top-level directory -------------

type Sym = [name: string, type: string, size: number, dir: string];

const BASE: Sym[] = [
  ['start_kernel', 'T', 1204, 'init'],
  ['do_basic_setup', 't', 296, 'init'],
  ['printk', 'T', 520, 'kernel'],
  ['vprintk', 'T', 1452, 'kernel'],
  ['emit_log_char', 't', 120, 'kernel'],
  ['log_buf', 'b', 16384, 'kernel'],
  ['panic', 'T', 640, 'kernel'],
  ['do_exit', 'T', 1900, 'kernel'],
  ['schedule', 'T', 2400, 'kernel'],
  ['show_mem', 'T', 700, 'mm'],
  ['vm_event_states', 'd', 256, 'mm'],
  ['all_vm_events', 'T', 180, 'mm'],
  ['vmstat_text', 'r', 900, 'mm'],
  ['__alloc_pages', 'T', 2800, 'mm'],
  ['handle_mm_fault.isra.0', 't', 1600, 'mm'],
  ['ext2_fill_super', 'T', 3100, 'fs'],
  ['copy_strings', 't', 900, 'fs'],
  ['ne2k_pci_init_one', 'T', 1300, 'drivers'],
  ['ide_do_request', 'T', 2100, 'drivers'],
  ['serial8250_console_write', 't', 700, 'drivers'],
  ['tcp_sendmsg', 'T', 4200, 'net'],
  ['ip_rcv', 'T', 1100, 'net'],
  ['do_page_fault', 'T', 1400, 'arch'],
  ['die', 'T', 500, 'arch'],
  ['__bug_table', 'r', 600, 'arch'],
  ['vsnprintf', 'T', 1800, 'lib'],
  ['linux_banner', 'R', 120, 'init'],
];
const BASE_CONFIG = ['CONFIG_X86=y', 'CONFIG_M386=y', 'CONFIG_NET=y', 'CONFIG_INET=y', 'CONFIG_EXT2_FS=y', '# CONFIG_SMP is not set'];

type Edit = { set?: Sym[]; drop?: string[]; config?: string[] };
const apply = (syms: Sym[], ...edits: Edit[]): Sym[] => {
  let out = [...syms];
  for (const e of edits) {
    out = out.filter((s) => !e.drop?.includes(s[0]) && !e.set?.some((x) => x[0] === s[0]));
    out.push(...(e.set ?? []));
  }
  return out;
};
const configOf = (...edits: Edit[]) => {
  const m = new Map(BASE_CONFIG.map((l) => [l.replace(/^# /, '').replace(/[= ].*$/, ''), l]));
  for (const e of edits) for (const l of e.config ?? []) m.set(l.replace(/^# /, '').replace(/[= ].*$/, ''), l);
  return [...m.values()].join('\n') + '\n';
};
const unset = (s: string) => `# CONFIG_${s} is not set`;

// What each patch does: its options at default (queue) and off (flip).
const AT_DEFAULT: Record<string, Edit> = {
  'tiny-printk': { config: ['CONFIG_PRINTK=y', 'CONFIG_DEBUG_BUGVERBOSE=y'] },
  'tiny-bug': { set: [['do_exit', 'T', 1912, 'kernel']], config: ['CONFIG_BUG=y'] },
  'tiny-inline-strings': {
    set: [
      ['copy_strings', 't', 700, 'fs'],
      ['copy_strings.part.0', 't', 40, 'fs'],
    ],
  },
  'tiny-vmstat': { config: ['CONFIG_VM_EVENT_COUNTERS=y'] },
};
const OFF: Record<string, Edit> = {
  'tiny-printk': {
    set: [
      ['printk', 'T', 12, 'kernel'],
      ['show_mem', 'T', 400, 'mm'],
      ['panic', 'T', 500, 'kernel'],
    ],
    drop: ['vprintk', 'emit_log_char', 'log_buf'],
    config: [unset('PRINTK'), unset('DEBUG_BUGVERBOSE')],
  },
  'tiny-bug': {
    set: [
      ['die', 'T', 320, 'arch'],
      ['do_page_fault', 'T', 1250, 'arch'],
      ['do_exit', 'T', 1900, 'kernel'],
      ['handle_mm_fault.constprop.0', 't', 1580, 'mm'],
    ],
    drop: ['__bug_table', 'handle_mm_fault.isra.0'],
    config: [unset('BUG'), unset('DEBUG_BUGVERBOSE')],
  },
  'tiny-vmstat': {
    set: [
      ['vmstat_text', 'r', 300, 'mm'],
      ['show_mem', 'T', 520, 'mm'],
    ],
    drop: ['vm_event_states', 'all_vm_events'],
    config: [unset('VM_EVENT_COUNTERS')],
  },
};
const PATCHES = ['compat-gcc12', 'tiny-printk', 'tiny-bug', 'tiny-inline-strings', 'tiny-vmstat'];
const OPTION: Record<string, string> = { 'tiny-printk': 'PRINTK', 'tiny-bug': 'BUG', 'tiny-vmstat': 'VM_EVENT_COUNTERS' };
const QUEUE = PATCHES.slice(1);

interface ToggleSpec {
  name: string;
  description: string;
  patches: string[];
  syms: Sym[];
  config: string;
  failed?: { file: string; line: number; message: string };
}

function tinywebToggles(): ToggleSpec[] {
  const queueEdits = QUEUE.map((p) => AT_DEFAULT[p]!);
  const specs: ToggleSpec[] = [
    { name: 'base', description: 'the base with compat-gcc12 and no queue patch', patches: ['compat-gcc12'], syms: BASE, config: configOf() },
    { name: 'queue', description: 'the queue (4 patches) with every option at its default: the no-op point', patches: PATCHES, syms: apply(BASE, ...queueEdits), config: configOf(...queueEdits) },
  ];
  const allOff = [...queueEdits, ...Object.values(OFF), { set: [['show_mem', 'T', 250, 'mm'] as Sym] }];
  specs.push({ name: 'all-off', description: 'every option off: the smallest kernel', patches: PATCHES, syms: apply(BASE, ...allOff), config: configOf(...allOff) });
  for (const p of Object.keys(OFF)) {
    const edits = [...queueEdits, OFF[p]!];
    specs.push({ name: `flip:${p}`, description: `${p}: CONFIG_${OPTION[p]} flipped from its default`, patches: PATCHES, syms: apply(BASE, ...edits), config: configOf(...edits) });
  }
  for (const p of QUEUE) {
    const edits = QUEUE.filter((q) => q !== p).map((q) => AT_DEFAULT[q]!);
    specs.push({ name: `without:${p}`, description: `the queue without ${p}`, patches: PATCHES.filter((q) => q !== p), syms: apply(BASE, ...edits), config: configOf(...edits) });
  }
  return specs;
}

const patchSha = (name: string) => sha256(`patch ${name}\n`);
const TREE = '6a1b2c3d4e5f60718293a4b5c6d7e8f901234567';
const IMAGE = 'sha256:' + 'd4'.repeat(32);

function inputsFor(t: ToggleSpec, config: string): BuildInputs {
  return {
    baseTree: TREE,
    patches: t.patches.map(patchSha),
    config: sha256(t.config),
    toolchain: { name: 'gcc-12-i386', image: IMAGE },
    arch: 'i386',
    makeVariables: { ARCH: 'i386', CROSS_COMPILE: 'i686-linux-gnu-' },
    env: { KBUILD_BUILD_TIMESTAMP: '@1097971200', LC_ALL: 'C', TINY_TEST_CONFIG: config },
    targets: ['vmlinux', 'bzImage'],
    toolVersion: '0.1.0',
    runtime: 'podman',
  };
}

/** size(1) of the kernel a symbol list describes: text counts rodata; fixed overheads per section. */
function measure(syms: Sym[]) {
  const part = (types: string, d?: string) => syms.filter((s) => types.includes(s[1]) && (d === undefined || s[3] === d)).reduce((n, s) => n + s[2], 0);
  const size = (d?: string) => {
    const text = part('tTrR', d) + (d ? 1000 : 60000);
    const data = part('dD', d) + (d ? 200 : 9000);
    const bss = part('bB', d) + (d ? 100 : 30000);
    return { text, data, bss, dec: text + data + bss };
  };
  const dirs = [...new Set(syms.map((s) => s[3]))].sort().map((dir) => ({ dir, ...size(dir), objects: 3, builtins: [`${dir}/built-in.o`] }));
  return { size: size(), dirs };
}

async function saveToggle(store: RecordStore, tmp: string, config: string, t: ToggleSpec): Promise<string> {
  const { size, dirs } = measure(t.syms);
  const bz = Math.round(size.dec * 0.45);
  const cfgFile = join(tmp, `${config}-${t.name.replace(/[:/]/g, '_')}.config`);
  await writeFile(cfgFile, t.config);
  const symbols: SymbolEntry[] = t.syms.map(([name, type, size]) => ({ name, type, size }));
  const draft: BuildRecordDraft = {
    inputs: inputsFor(t, config),
    config,
    toggle: { name: t.name, description: t.description },
    patches: t.patches.map((name) => ({ name, sha256: patchSha(name) })),
    status: t.failed ? 'failed' : 'ok',
    hermetic: true,
    startedAt: '2026-01-05T10:00:00.000Z',
    finishedAt: '2026-01-05T10:01:00.000Z',
    durationsMs: { config: 2000, build: t.name === 'queue' ? 540000 : 61000, measure: 900 },
    ...(t.failed
      ? {}
      : {
          measurement: {
            size,
            files: { vmlinux: { path: 'vmlinux', bytes: size.dec + 400000 }, bzImage: { path: 'arch/i386/boot/bzImage', bytes: bz } },
            sha256: { vmlinux: sha256(`vmlinux ${t.name}`), bzImage: sha256(`bzImage ${t.name}`), '.config': sha256(t.config) },
            dirs,
            tools: { size: 'size', nm: 'nm' },
          },
        }),
    diagnostics: t.failed
      ? { warnings: 3, errors: 1, firstError: { ...t.failed, kind: 'compiler', logLine: 812, context: [`${t.failed.file}:${t.failed.line}: error: ${t.failed.message}`] } }
      : { warnings: 0, errors: 0 },
  };
  const { record } = await save(store, draft, { config: cfgFile, symbols });
  return record.key;
}

async function writeRun(store: RecordStore, tmp: string, config: string, specs: ToggleSpec[], missing: string[] = []): Promise<Record<string, string>> {
  const keys: Record<string, string> = {};
  const entries: RunEntry[] = [];
  for (const t of specs) {
    const key = missing.includes(t.name) ? recordKey(inputsFor(t, config)) : await saveToggle(store, tmp, config, t);
    keys[t.name] = key;
    entries.push({ toggle: t.name, key, status: t.failed ? 'failed' : 'ok' });
  }
  await writeRunIndex(store.cacheDir, { config, startedAt: '2026-01-05T10:00:00.000Z', finishedAt: '2026-01-05T10:20:00.000Z', toggles: entries });
  return keys;
}

// ---- the CLI, as a user types it -----------------------------------------------------------

let cache: string;
let tmp: string;
let keys: Record<string, string>;
const env = () => ({ TINY_CACHE: cache });

/** `$ tiny <args>` then what it printed; the exit status when it is not 0. */
async function $(cmdline: string, opts: { cwd?: string } = {}): Promise<string> {
  const args = cmdline.split(' ').filter(Boolean);
  const r: CliResult = await tiny(args, { env: env(), ...opts });
  return `$ tiny ${cmdline}\n${r.stdout}${r.stderr}${r.code ? `[exit ${r.code}]\n` : ''}`;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tiny-report-'));
  cache = join(tmp, 'cache');
  const store = await openRecordStore(cache);
  keys = await writeRun(store, tmp, 'tinyweb', tinywebToggles());
  const broken = tinywebToggles().filter((t) => ['base', 'queue', 'all-off', 'flip:tiny-printk', 'without:tiny-printk'].includes(t.name));
  broken.find((t) => t.name === 'flip:tiny-printk')!.failed = { file: 'kernel/printk.c', line: 312, message: "'log_buf_len' undeclared (first use in this function)" };
  const brokenKeys = await writeRun(store, tmp, 'broken', broken, ['without:tiny-printk']);
  keys.missing = brokenKeys['without:tiny-printk']!;
  if (process.env.TINY_TEST_KEEP) process.stderr.write(`report fixture cache: ${cache}\n`);
});

afterAll(async () => {
  if (!process.env.TINY_TEST_KEEP) await rm(tmp, { recursive: true, force: true });
});

describe('tiny report', () => {
  it('prints what each patch saves, its no-op cost, interactions, directories, symbols and .config', async () => {
    const out = await $('report --config tinyweb');
    expect(out.slice(0, out.indexOf('\nInputs\n') + 1)).toBe(`$ tiny report --config tinyweb
tiny size report: tinyweb, run of 2026-01-05T10:00:00.000Z (10 toggles, 10 built)
All options off saves 21052 bytes of vmlinux (dec, 14.21% of base) and 9474 bytes of bzImage (14.21% of base); the 3 single flips add up to 21082 (dec), interaction +30.
No-op cost of the queue (every option at its default vs the bare base): -148 dec, -66 bzImage (text -148, data 0, bss 0).

Sizes per toggle
toggle                       status   text  data    bss     dec  bzImage
base                         ok      92532  9256  46384  148172    66677
queue                        ok      92384  9256  46384  148024    66611
all-off                      ok      87972  9000  30000  126972    57137
flip:tiny-printk             ok      89864  9256  30000  129120    58104
flip:tiny-bug                ok      91422  9256  46384  147062    66178
flip:tiny-vmstat             ok      91424  9000  46384  146808    66064
without:tiny-printk          ok      92384  9256  46384  148024    66611
without:tiny-bug             ok      92372  9256  46384  148012    66605
without:tiny-inline-strings  ok      92544  9256  46384  148184    66683
without:tiny-vmstat          ok      92384  9256  46384  148024    66611

Turning each option off (queue - flip:<patch>): bytes saved; % of base and cumulative in dec
#  patch                        text  data    bss    dec  bzImage  % of base  cumulative  cum. %
1  tiny-printk                  2520     0  16384  18904     8507     12.76%       18904  12.76%
2  tiny-bug                      962     0      0    962      433      0.65%       19866  13.41%
4  tiny-vmstat                   960   256      0   1216      547      0.82%       21082  14.23%
   sum of singles               4442   256  16384  21082     9487     14.23%
   all-off (measured)           4412   256  16384  21052     9474     14.21%
   interaction (sum - all-off)   +30     0      0    +30      +13

Each patch at its default (queue - without:<patch>): no-op cost, ideally 0
patch                       text  data  bss   dec  bzImage
whole queue (queue - base)  -148     0    0  -148      -66
tiny-printk                    0     0    0     0        0
tiny-bug                     +12     0    0   +12       +6
tiny-inline-strings         -160     0    0  -160      -72
tiny-vmstat                    0     0    0     0        0

Interactions: flips that change the same symbols or .config symbols
tiny-printk x tiny-vmstat: 1 shared symbol (show_mem -300/-180), 180 bytes claimed by both
tiny-printk x tiny-bug: both change CONFIG_DEBUG_BUGVERBOSE

Per directory (dec)
directory   base  queue  all-off  no-op cost  saved by all-off
arch        3800   3800     2870           0               930
drivers     5400   5400     5400           0                 0
fs          5300   5140     5140        -160                 0
init        2920   2920     2920           0                 0
kernel     24716  24728     6112         +12             18616
lib         3100   3100     3100           0                 0
mm          7736   7736     6230           0              1506
net         6600   6600     6600           0                 0

Per patch: top symbol deltas (bloat-o-meter semantics, compiler-suffix renames matched; the 10 largest per comparison) and directories
tiny-printk
  option off (queue -> flip:tiny-printk): add/remove: 0/3 grow/shrink: 0/3 up/down: 0/-18904 (-18904)
    symbol           old  new   delta
    log_buf        16384    -  -16384
    vprintk         1452    -   -1452
    printk           520   12    -508
    show_mem         700  400    -300
    panic            640  500    -140
    emit_log_char    120    -    -120
    directories (dec): kernel -18604, mm -300

tiny-bug
  option off (queue -> flip:tiny-bug): add/remove: 0/1 grow/shrink: 0/4 up/down: 0/-962 (-962) rename: 1
    symbol                                              old   new  delta
    __bug_table                                         600     -   -600
    die                                                 500   320   -180
    do_page_fault                                      1400  1250   -150
    handle_mm_fault.isra -> handle_mm_fault.constprop  1600  1580    -20
    do_exit                                            1912  1900    -12
    directories (dec): arch -930, mm -20, kernel -12
  at its default (without:tiny-bug -> queue): add/remove: 0/0 grow/shrink: 1/0 up/down: 12/0 (12)
    symbol    old   new  delta
    do_exit  1900  1912    +12
    directories (dec): kernel +12

tiny-inline-strings
  at its default (without:tiny-inline-strings -> queue): add/remove: 1/0 grow/shrink: 0/1 up/down: 40/-200 (-160)
    symbol             old  new  delta
    copy_strings       900  700   -200
    copy_strings.part    -   40    +40
    directories (dec): fs -160

tiny-vmstat
  option off (queue -> flip:tiny-vmstat): add/remove: 0/2 grow/shrink: 0/2 up/down: 0/-1216 (-1216)
    symbol           old  new  delta
    vmstat_text      900  300   -600
    vm_event_states  256    -   -256
    all_vm_events    180    -   -180
    show_mem         700  520   -180
    directories (dec): mm -1216

all-off (queue -> all-off)
  add/remove: 0/6 grow/shrink: 0/8 up/down: 0/-21052 (-21052) rename: 1
    symbol             old   new   delta
    log_buf          16384     -  -16384
    vprintk           1452     -   -1452
    __bug_table        600     -    -600
    vmstat_text        900   300    -600
    printk             520    12    -508
    show_mem           700   250    -450
    vm_event_states    256     -    -256
    all_vm_events      180     -    -180
    die                500   320    -180
    do_page_fault     1400  1250    -150
    (4 more changed symbols)

.config differences
toggles                               changes
queue vs base                         CONFIG_BUG: (absent) -> y, CONFIG_DEBUG_BUGVERBOSE: (absent) -> y, CONFIG_PRINTK: (absent) -> y, CONFIG_VM_EVENT_COUNTERS: (absent) -> y
flip:tiny-printk vs queue             CONFIG_DEBUG_BUGVERBOSE: y -> n, CONFIG_PRINTK: y -> n
queue vs without:tiny-printk          CONFIG_DEBUG_BUGVERBOSE: (absent) -> y, CONFIG_PRINTK: (absent) -> y
flip:tiny-bug vs queue                CONFIG_BUG: y -> n, CONFIG_DEBUG_BUGVERBOSE: y -> n
queue vs without:tiny-bug             CONFIG_BUG: (absent) -> y
queue vs without:tiny-inline-strings  none
flip:tiny-vmstat vs queue             CONFIG_VM_EVENT_COUNTERS: y -> n
queue vs without:tiny-vmstat          CONFIG_VM_EVENT_COUNTERS: (absent) -> y
all-off vs queue                      CONFIG_BUG: y -> n, CONFIG_DEBUG_BUGVERBOSE: y -> n, CONFIG_PRINTK: y -> n, CONFIG_VM_EVENT_COUNTERS: y -> n

`);
  });

  it('ends with every input hash: tree, toolchain image, patches, each record and .config', async () => {
    const out = await $('report --config tinyweb');
    const inputs = out.slice(out.indexOf('\nInputs\n') + 1);
    expect(inputs.split('\n').slice(0, 4)).toEqual(['Inputs', `tree: ${TREE}`, `toolchain: gcc-12-i386 ${IMAGE}`, 'runtime: podman; arch: i386; tiny 0.1.0']);
    for (const p of PATCHES) expect(inputs).toMatch(new RegExp(`^${p} +${patchSha(p)}$`, 'm'));
    for (const t of tinywebToggles()) expect(inputs).toMatch(new RegExp(`^${t.name} +${keys[t.name]}  ${sha256(t.config)}$`, 'm'));
  });

  it('--format md: a summary for a pull-request comment or a mailing-list reply, details collapsed', async () => {
    const out = await $('report --config tinyweb --format md');
    expect(out.split('\n').slice(0, 18).join('\n')).toBe(`$ tiny report --config tinyweb --format md
### tiny size report: tinyweb, run of 2026-01-05T10:00:00.000Z (10 toggles, 10 built)

All options off saves **21052 bytes** of vmlinux (dec, 14.21% of base) and **9474 bytes** of bzImage (14.21% of base); the 3 single flips add up to 21082 (dec), interaction +30.

No-op cost of the queue (every option at its default vs the bare base): -148 dec, -66 bzImage (text -148, data 0, bss 0).

Bytes saved by turning each option off (\`queue - flip:<patch>\`); % of base and cumulative in dec:

| # | patch | text | data | bss | dec | bzImage | % of base | cumulative | cum. % |
|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|
| 1 | tiny-printk | 2520 | 0 | 16384 | 18904 | 8507 | 12.76% | 18904 | 12.76% |
| 2 | tiny-bug | 962 | 0 | 0 | 962 | 433 | 0.65% | 19866 | 13.41% |
| 4 | tiny-vmstat | 960 | 256 | 0 | 1216 | 547 | 0.82% | 21082 | 14.23% |
|  | sum of singles | 4442 | 256 | 16384 | 21082 | 9487 | 14.23% |  |  |
|  | all-off (measured) | 4412 | 256 | 16384 | 21052 | 9474 | 14.21% |  |  |
|  | interaction (sum - all-off) | +30 | 0 | 0 | +30 | +13 |  |  |  |
`);
    expect(out.match(/^<details><summary>(.*)<\/summary>$/gm)).toEqual([
      '<details><summary>Sizes per toggle</summary>',
      '<details><summary>No-op cost per patch (<code>queue - without:&lt;patch&gt;</code>, ideally 0)</summary>',
      '<details><summary>Interactions</summary>',
      '<details><summary>Per directory (dec)</summary>',
      '<details><summary>Top symbol deltas (10 per comparison)</summary>',
      '<details><summary>.config differences</summary>',
      '<details><summary>Inputs</summary>',
    ]);
    expect(out).toContain('| `handle_mm_fault.isra -> handle_mm_fault.constprop` | 1600 | 1580 | -20 |');
    expect(out).toContain('- tiny-printk x tiny-vmstat: 1 shared symbol (`show_mem` -300/-180), 180 bytes claimed by both');
  });

  it('--json: all of it, as the document schema/output/report.schema.json describes', async () => {
    const r = await tiny(['report', '--config', 'tinyweb', '--json'], { env: env() });
    expect(r.code).toBe(0);
    const j = expectJsonOutput('report', r.stdout) as any;
    expect(j).toMatchObject({
      schema_version: 1,
      config: 'tinyweb',
      ok: true,
      failed: [],
      image_name: 'bzImage',
      base_sizes: { text: 92532, data: 9256, bss: 46384, dec: 148172, image: 66677 },
      budgets: null,
    });
    expect(j.toggles.map((t: { toggle: string; status: string }) => `${t.toggle} ${t.status}`)).toEqual(tinywebToggles().map((t) => `${t.name} ok`));
    expect(
      j.patches.map((p: { name: string; flip: { saved: { dec: number } } | null; at_default: { change: { dec: number } } }) => [p.name, p.flip?.saved.dec ?? null, p.at_default.change.dec]),
    ).toEqual([
      ['tiny-printk', 18904, 0],
      ['tiny-bug', 962, 12],
      ['tiny-inline-strings', null, -160],
      ['tiny-vmstat', 1216, 0],
    ]);
    expect(j.patches[0].flip.symbols.changes).toHaveLength(6); // every change, not only the top ones
    expect(j.interactions).toMatchObject({ sum_of_singles: { dec: 21082 }, all_off: { dec: 21052 }, difference: { dec: 30 }, pairs_computable: true });
    expect(j.all_off.config.map((c: { symbol: string }) => c.symbol)).toEqual(['BUG', 'DEBUG_BUGVERBOSE', 'PRINTK', 'VM_EVENT_COUNTERS']);
    expect(j.inputs.toggles.find((t: { toggle: string }) => t.toggle === 'queue')).toMatchObject({ key: keys.queue, tree: TREE, toolchain: { image: IMAGE }, hermetic: true });
  });

  it('--json of a run with a failed toggle and a missing record: what is unknown is null', async () => {
    const r = await tiny(['report', '--config', 'broken', '--json'], { env: env() });
    expect(r.code).toBe(1);
    const j = expectJsonOutput('report', r.stdout) as any;
    expect(j.ok).toBe(false);
    expect(j.failed).toEqual(['flip:tiny-printk', 'without:tiny-printk']);
    expect(j.toggles.find((t: { toggle: string }) => t.toggle === 'without:tiny-printk')).toMatchObject({ status: 'missing', sizes: null, log: null, duration_ms: null });
    expect(j.patches[0]).toMatchObject({ name: 'tiny-printk', flip: { available: false, change: null, saved: null } });
  });

  it('a run with a failed toggle and a record gone from the store: reported, exit 1', async () => {
    const out = await $('report --config broken --top 3');
    expect(out.split('\n').slice(0, 12).join('\n')).toBe(`$ tiny report --config broken --top 3
tiny size report: broken, run of 2026-01-05T10:00:00.000Z (5 toggles, 3 built, 2 failed)
All options off saves 21052 bytes of vmlinux (dec, 14.21% of base) and 9474 bytes of bzImage (14.21% of base); no single flip built (1 failed).
No-op cost of the queue (every option at its default vs the bare base): -148 dec, -66 bzImage (text -148, data 0, bss 0).
Failed: flip:tiny-printk (kernel/printk.c:312: 'log_buf_len' undeclared (first use in this function)); without:tiny-printk (record ${keys.missing!.slice(0, 12)} is not in the store).

Sizes per toggle
toggle               status    text  data    bss     dec  bzImage
base                 ok       92532  9256  46384  148172    66677
queue                ok       92384  9256  46384  148024    66611
all-off              ok       87972  9000  30000  126972    57137
flip:tiny-printk     failed     n/a   n/a    n/a     n/a      n/a`);
    expect(out).toContain('   interaction (sum - all-off)   n/a   n/a    n/a    n/a      n/a\n');
    expect(out).toContain('  option off (queue -> flip:tiny-printk): n/a (flip:tiny-printk failed)\n');
    expect(out).toContain('    (11 more changed symbols)\n'); // --top 3
    expect(out.endsWith('[exit 1]\n')).toBe(true);
  });

  it('--format junit --out: one testcase per toggle, failures with their message; the file is valid XML', async () => {
    const file = join(tmp, 'ci', 'junit.xml');
    expect(await $(`report --config broken --format junit --out ${file}`)).toBe(
      `$ tiny report --config broken --format junit --out ${file}\ntiny: wrote junit report of broken to ${file}\n[exit 1]\n`,
    );
    const xml = await readFile(file, 'utf8');
    const py = await sh('python3', ['-c', PY_JUNIT, file]);
    expect(JSON.parse(py)).toEqual({
      tests: '5',
      failures: '2',
      cases: [
        ['base', null],
        ['queue', null],
        ['all-off', null],
        ['flip:tiny-printk', "flip:tiny-printk: build failed: kernel/printk.c:312: 'log_buf_len' undeclared (first use in this function)"],
        ['without:tiny-printk', `without:tiny-printk: record ${keys.missing!.slice(0, 12)} is not in the store`],
      ],
    });
    expect(xml).toContain('kernel/printk.c:312: error: &apos;log_buf_len&apos; undeclared (first use in this function)\nrecord ');
    expect((await $('report --config tinyweb --format junit')).match(/<testcase /g)).toHaveLength(10);
  });

  it('--out writes atomically: a complete file replaces the old one, no temp file is left', async () => {
    const dir = join(tmp, 'out');
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'report.md');
    await writeFile(file, 'old contents\n');
    const r = await tiny(['report', '--config', 'tinyweb', '--format', 'md', '--out', file], { env: env() });
    expect([r.code, r.stdout]).toEqual([0, '']);
    expect(await readFile(file, 'utf8')).toBe((await tiny(['report', '--config', 'tinyweb', '--format', 'md'], { env: env() })).stdout);
    expect(await readdir(dir)).toEqual(['report.md']);
  });

  it('bad input: exit 2 with what to do', async () => {
    expect(await $('report')).toBe('$ tiny report\ntiny: several configurations have runs: broken, tinyweb\n  hint: choose one with --config NAME\n[exit 2]\n');
    expect(await $('report --config tinywab')).toBe(
      `$ tiny report --config tinywab\ntiny: no \`tiny build --config tinywab\` run recorded in ${cache}\n  hint: did you mean --config tinyweb?\n[exit 2]\n`,
    );
    expect(await $('report --config tinyweb --format pdf')).toMatch(
      /error: option '--format <format>' argument 'pdf' is invalid. Allowed choices are text, md, json, html, junit.\n[\s\S]*\[exit 2\]\n$/,
    );
    // The fixture's runs say no base (an index from before runs kept theirs).
    expect(await $('report --config tinyweb --base 2.6.9')).toBe(
      `$ tiny report --config tinyweb --base 2.6.9\ntiny: no run of tinyweb on base 2.6.9 is recorded in ${cache}\n  hint: run \`tiny build --config tinyweb --base 2.6.9\` (toggles built before are served from the store)\n[exit 2]\n`,
    );
    expect(await $('report --config tinyweb --base 2.6.9 --bases')).toMatch(
      /tiny: --base and --bases do not go together\n {2}hint: one base: --base V; several side by side: --bases V1,V2\n\[exit 2\]\n$/,
    );
    const empty = join(tmp, 'empty-cache');
    const r = await tiny(['report'], { env: { TINY_CACHE: empty } });
    expect([r.code, r.stderr]).toEqual([2, `tiny: no \`tiny build\` run recorded in ${empty}\n  hint: run \`tiny build --config NAME\` first\n`]);
  });

  it('documents its exit status', async () => {
    const help = (await tiny(['report', '--help'])).stdout;
    expect(help).toContain('Exit status: 0 every toggle of the run built (and, with --check, every budget holds); 1 a');
    expect(help).toContain('--check');
  });
});

describe('tiny report with the budgets of configs/tinyweb.yaml', () => {
  // A checkout of its own: configs/ with budgets, queue/ whose tiny-bug patch justifies its size.
  let root: string;
  beforeAll(async () => {
    root = join(tmp, 'checkout');
    await mkdir(join(root, 'configs'), { recursive: true });
    await mkdir(join(root, 'queue', 'patches'), { recursive: true });
    await writeFile(
      join(root, 'configs', 'tinyweb.yaml'),
      [
        'name: tinyweb',
        'toolchain: gcc-12-i386',
        'arch: i386',
        'kconfig:',
        '  base: allnoconfig',
        'targets: [vmlinux, bzImage]',
        'budgets:',
        '  bzImage: 55K',
        '  dec: 200K',
        '  min_saving_per_patch: 1000',
        '',
      ].join('\n'),
    );
    const series = PATCHES.map((p) => `  - name: ${p}\n    file: patches/${p}.patch${OPTION[p] ? `\n    option: ${OPTION[p]}` : ''}`);
    await writeFile(join(root, 'queue', 'queue.yaml'), `name: tinyweb-queue\nbase:\n  version: "2.6.9"\n  sources:\n    - path: ../linux-2.6.9\nseries:\n${series.join('\n')}\n`);
    for (const p of PATCHES) {
      const header = p === 'tiny-bug' ? 'Size-Justification: BUG() is what catches memory corruption\n  on the boards we ship.\n' : '';
      await writeFile(join(root, 'queue', 'patches', `${p}.patch`), `Subject: ${p}\n${header}---\n--- a/init/${p}.c\n+++ b/init/${p}.c\n@@ -1 +1 @@\n-old\n+new\n`);
    }
  });

  it('lists each budget; an exceeded one fails its toggle in JUnit, a justified one is accepted', async () => {
    const out = await $('report --config tinyweb', { cwd: root });
    expect(out.slice(out.indexOf('\nBudgets\n') + 1, out.indexOf('\nInputs\n'))).toBe(`Budgets
EXCEEDED  bzImage (queue): bzImage 66,611 bytes > budget 55K (56,320) by 10,291 bytes in toggle queue
ok  min_saving_per_patch (flip:tiny-bug): accepted: patch tiny-bug saves 962 bytes (dec, flip:tiny-bug vs queue: option off vs on) < min_saving_per_patch 1,000 by 38 bytes — justification: BUG() is what catches memory corruption on the boards we ship.
EXCEEDED  min_saving_per_patch (without:tiny-inline-strings): patch tiny-inline-strings saves 160 bytes (dec, without:tiny-inline-strings vs queue: without vs with) < min_saving_per_patch 1,000 by 840 bytes
ok  dec (queue): 148,024 bytes <= 200K
ok  min_saving_per_patch (flip:tiny-printk): saves 18,904 bytes (dec, flip:tiny-printk vs queue) >= 1000
ok  min_saving_per_patch (flip:tiny-vmstat): saves 1,216 bytes (dec, flip:tiny-vmstat vs queue) >= 1000
`);
    expect(out.endsWith('[exit 1]\n')).toBe(false); // budgets are listed; they do not change the exit status here

    const file = join(tmp, 'budgets-junit.xml');
    const r = await tiny(['report', '--config', 'tinyweb', '--format', 'junit', '--out', file], { cwd: root, env: env() });
    expect(r.code).toBe(0);
    expect(JSON.parse(await sh('python3', ['-c', PY_JUNIT, file]))).toEqual({
      tests: '10',
      failures: '2',
      cases: tinywebToggles().map((t) => [
        t.name,
        t.name === 'queue'
          ? 'budget exceeded: bzImage: bzImage 66,611 bytes > budget 55K (56,320) by 10,291 bytes in toggle queue'
          : t.name === 'without:tiny-inline-strings'
            ? 'budget exceeded: min_saving_per_patch: patch tiny-inline-strings saves 160 bytes (dec, without:tiny-inline-strings vs queue: without vs with) < min_saving_per_patch 1,000 by 840 bytes'
            : null,
      ]),
    });
    expect(await readFile(file, 'utf8')).toContain('budget ok: min_saving_per_patch: accepted: patch tiny-bug saves 962 bytes');
  });

  it('--check: exit 1 with the verdict on stderr when a budget is exceeded', async () => {
    const r = await tiny(['report', '--config', 'tinyweb', '--check', '--format', 'md'], { cwd: root, env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      [
        'budget exceeded (configuration tinyweb):',
        '  ✗ bzImage 66,611 bytes > budget 55K (56,320) by 10,291 bytes in toggle queue',
        '  ✗ patch tiny-inline-strings saves 160 bytes (dec, without:tiny-inline-strings vs queue: without vs with) < min_saving_per_patch 1,000 by 840 bytes',
        'accepted with a Size-Justification:',
        '  ~ patch tiny-bug saves 962 bytes (dec, flip:tiny-bug vs queue: option off vs on) < min_saving_per_patch 1,000 by 38 bytes',
        '      Size-Justification: BUG() is what catches memory corruption on the boards we ship.',
        '',
      ].join('\n'),
    );
    expect(r.stdout).toContain('tinyweb');
  });
});

// The failures of a JUnit file, read by Python's XML parser.
const PY_JUNIT = `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suite = root.find('testsuite')
cases = [[c.get('name'), (c.find('failure').get('message') if c.find('failure') is not None else None)] for c in suite.findall('testcase')]
print(json.dumps({'tests': suite.get('tests'), 'failures': suite.get('failures'), 'cases': cases}))
`;

// ---- the HTML page in headless Chromium ----------------------------------------------------

const CHROMIUM = process.env.TINY_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOT = join(REPO, 'test-results', 'report.png');

describe.skipIf(!existsSync(CHROMIUM))(`tiny report --format html in headless Chromium${existsSync(CHROMIUM) ? '' : ` (skipped: no ${CHROMIUM}; apt-get install chromium)`}`, () => {
  it('opens from disk with no other request, shows both charts with their data; screenshot kept', async () => {
    const html = join(tmp, 'report.html');
    expect(await $(`report --config tinyweb --format html --out ${html}`)).toBe(`$ tiny report --config tinyweb --format html --out ${html}\ntiny: wrote html report of tinyweb to ${html}\n`);
    const { chromium } = await import('playwright-core');
    const profile = await mkdtemp(join(tmpdir(), 'tiny-chromium-'));
    // A fresh profile (playwright passes it as --user-data-dir), nothing phoning home.
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1200, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`file://${html}`);
      expect(requests).toEqual([`file://${html}`]); // self-contained
      expect(errors).toEqual([]);
      await expect(page.title()).resolves.toBe('tiny size report: tinyweb, run of 2026-01-05T10:00:00.000Z (10 toggles, 10 built)');

      const bars = (id: string) =>
        page.locator(`svg#${id} rect.bar`).evaluateAll((els) =>
          els.map((e) => {
            // An SVG element in the browser (the tests' types have no DOM): its drawn box.
            const b = (e as unknown as { getBBox(): { width: number; height: number } }).getBBox();
            return [e.getAttribute('data-label'), Number(e.getAttribute('data-value')), b.width > 0 && b.height > 0];
          }),
        );
      expect(await bars('waterfall')).toEqual([
        ['queue (no-op cost)', 148, true],
        ['tiny-printk', 18904, true],
        ['tiny-bug', 962, true],
        ['tiny-vmstat', 1216, true],
        ['sum of steps', 21230, true],
        ['all-off (measured)', 21200, true],
      ]);
      expect(await bars('dirs')).toEqual([
        ['kernel', 18616, true],
        ['mm', 1506, true],
        ['arch', 930, true],
        ['drivers', 0, true],
        ['fs', 0, true],
        ['init', 0, true],
        ['lib', 0, true],
        ['net', 0, true],
      ]);
      for (const id of ['waterfall', 'dirs']) {
        const box = await page.locator(`svg#${id}`).boundingBox();
        expect(box!.width).toBeGreaterThan(400);
        expect(box!.height).toBeGreaterThan(150);
        await expect(page.locator(`svg#${id} text.label`).first().isVisible()).resolves.toBe(true);
      }
      await expect(page.locator('h2').allTextContents()).resolves.toEqual([
        'Savings along the series',
        'Per directory',
        'Bytes saved per patch',
        'No-op cost',
        'Interactions',
        'Sizes per toggle',
        'Per directory (dec)',
        'Top symbol deltas',
        '.config differences',
        'Inputs',
      ]);
      await mkdir(join(REPO, 'test-results'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      console.log(`HTML report screenshot: ${SCREENSHOT}`);
    } finally {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    }
  }, 120_000);
});
