// measureBuild on small kernel-shaped build dirs compiled here with the host gcc/ld/ar:
// a 2.6-style one (ld -r built-in.o with kbuild .cmd files, nested built-ins, an empty
// `ar rcs` built-in.o, arch/i386/<sub>/built-in.o, arch/i386/boot/bzImage) and a modern one
// (thin built-in.a archives, arch/x86/built-in.a, bzImage under arch/x86 reached through
// ARCH=i386). Real size(1) and nm run on real ELF files; the 32-bit build is also measured
// with i686-linux-gnu-size/-nm when installed, which must agree with the host tools.

import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureBuild } from '../../src/measure/measure.js';
import { parseBerkeley, parseNm, sumSizes } from '../../src/measure/parse.js';
import { symbolDiff } from '../../src/measure/bloat.js';
import { run } from '../../src/util/exec.js';
import { sha256File } from '../../src/util/fs.js';
import { TinyError } from '../../src/util/diagnostics.js';
import { missingPrerequisites } from '../helpers/prereqs.js';

const missingWhy = await missingPrerequisites('gcc', 'ld', 'ar', 'size', 'nm');
const missing = missingWhy ? [missingWhy] : [];
const crossWhy = await missingPrerequisites('i686-linux-gnu-size', 'i686-linux-gnu-nm');

const SOURCES: Record<string, string> = {
  'init/main.c': `extern int schedule(int); extern int do_fork(int); extern int mem_read(int); extern int arch_setup(int);
int boot_count; static int once(void) { static int done; return done++; }
int start_kernel(void) { return schedule(1) + do_fork(2) + mem_read(3) + arch_setup(4) + once() + boot_count; }\n`,
  'init/version.c': `const char linux_banner[] = "Linux version 2.6.9-tiny (fake)";\nconst char version_text[] = "fake";\n`,
  'kernel/sched.c': `int runqueue[64]; int schedule(int x) { int s = 0; for (int i = 0; i < 64; i++) s += runqueue[i] * x; return s; }\n`,
  'kernel/fork.c': `int nr_threads = 1; int do_fork(int f) { return nr_threads += f; }\n`,
  'drivers/char/mem.c': `int mem_read(int n) { return n * 3; }\n`,
  'drivers/base/core.c': `int device_count = 4;\n`,
  'arch/x86/kernel/setup.c': `char boot_params[256]; int arch_setup(int x) { return boot_params[x] + x; }\n`,
};
const CFLAGS = ['-O2', '-ffreestanding', '-fno-pic', '-fno-stack-protector', '-fno-asynchronous-unwind-tables', '-fno-common'];

async function sh(cwd: string, cmd: string, args: string[]) {
  return run(cmd, args, { cwd });
}

/** Compile every source; arch/x86 sources go to arch/<srcArch>. Returns the object paths. */
async function compile(dir: string, m32: boolean, srcArch: string, override: Record<string, string> = {}): Promise<Record<string, string>> {
  const objs: Record<string, string> = {};
  for (const [src, text] of Object.entries({ ...SOURCES, ...override })) {
    const rel = src.replace('arch/x86/', `arch/${srcArch}/`);
    await mkdir(join(dir, dirname(rel)), { recursive: true });
    await writeFile(join(dir, rel), text);
    const obj = rel.replace(/\.c$/, '.o');
    await sh(dir, 'gcc', [...CFLAGS, ...(m32 ? ['-m32'] : []), '-c', '-o', obj, rel]);
    objs[src] = obj;
  }
  return objs;
}

/** kbuild 2.6: `ld -r` built-in.o with its .cmd file. */
async function ldR(dir: string, emulation: string, out: string, inputs: string[]) {
  await sh(dir, 'ld', ['-m', emulation, '-r', '-o', out, ...inputs]);
  const cmd = `cmd_${out} := ld -m ${emulation}  -r -o ${out} ${inputs.join(' ')}\n`;
  await writeFile(join(dir, dirname(out), `.built-in.o.cmd`), cmd);
}

async function emptyBuiltin(dir: string, out: string) {
  await mkdir(join(dir, dirname(out)), { recursive: true });
  await sh(dir, 'ar', ['rcs', out]);
  await writeFile(join(dir, dirname(out), '.built-in.o.cmd'), `cmd_${out} :=  rm -f ${out}; ar rcs ${out}\n`);
}

async function finish(dir: string, emulation: string, linkInputs: string[], imageDir: string) {
  await sh(dir, 'ld', ['-m', emulation, '-e', 'start_kernel', '-o', 'vmlinux', ...linkInputs]);
  await writeFile(join(dir, 'System.map'), (await sh(dir, 'nm', ['-n', 'vmlinux'])).stdout);
  await writeFile(join(dir, '.config'), 'CONFIG_X86=y\n# CONFIG_SMP is not set\n');
  await mkdir(join(dir, imageDir), { recursive: true });
  await sh(dir, 'sh', ['-c', `gzip -9n < vmlinux > ${imageDir}/bzImage`]);
}

/** A 2.6.9-shaped i386 (or x86-64) build dir. */
async function build26(dir: string, m32: boolean, override: Record<string, string> = {}) {
  const em = m32 ? 'elf_i386' : 'elf_x86_64';
  const o = await compile(dir, m32, 'i386', override);
  await ldR(dir, em, 'init/built-in.o', [o['init/main.c']!, o['init/version.c']!]);
  await ldR(dir, em, 'kernel/built-in.o', [o['kernel/sched.c']!, o['kernel/fork.c']!]);
  await ldR(dir, em, 'drivers/char/built-in.o', [o['drivers/char/mem.c']!]);
  await ldR(dir, em, 'drivers/base/built-in.o', [o['drivers/base/core.c']!]);
  await ldR(dir, em, 'drivers/built-in.o', ['drivers/char/built-in.o', 'drivers/base/built-in.o']);
  await ldR(dir, em, 'arch/i386/kernel/built-in.o', [o['arch/x86/kernel/setup.c']!]);
  await emptyBuiltin(dir, 'crypto/built-in.o');
  // Left from an earlier .config in a reused build dir: drivers/built-in.o does not link it.
  await mkdir(join(dir, 'drivers/input'), { recursive: true });
  await ldR(dir, em, 'drivers/input/built-in.o', [o['drivers/char/mem.c']!]);
  await mkdir(join(dir, 'scripts/basic'), { recursive: true }); // host programs: no built-in
  await writeFile(join(dir, 'scripts/basic/fixdep'), 'host binary');
  await finish(dir, em, ['init/built-in.o', 'kernel/built-in.o', 'drivers/built-in.o', 'arch/i386/kernel/built-in.o', 'crypto/built-in.o'], 'arch/i386/boot');
}

/** A modern build dir: thin built-in.a archives (nested ones flattened, as kbuild's `ar cDPrST`). */
async function buildModern(dir: string) {
  const o = await compile(dir, false, 'x86');
  const thin = (out: string, inputs: string[]) => sh(dir, 'ar', ['cDPrST', out, ...inputs]);
  await thin('init/built-in.a', [o['init/main.c']!, o['init/version.c']!]);
  await thin('kernel/built-in.a', [o['kernel/sched.c']!, o['kernel/fork.c']!]);
  await thin('drivers/char/built-in.a', [o['drivers/char/mem.c']!]);
  await thin('drivers/base/built-in.a', [o['drivers/base/core.c']!]);
  await thin('drivers/built-in.a', ['drivers/char/built-in.a', 'drivers/base/built-in.a']);
  await thin('arch/x86/kernel/built-in.a', [o['arch/x86/kernel/setup.c']!]);
  await thin('arch/x86/built-in.a', ['arch/x86/kernel/built-in.a']);
  await finish(dir, 'elf_x86_64', Object.values(o), 'arch/x86/boot');
  await mkdir(join(dir, 'arch/i386/boot'), { recursive: true });
  await symlink('../../x86/boot/bzImage', join(dir, 'arch/i386/boot/bzImage'));
  await symlink('/nonexistent/source/tree', join(dir, 'source')); // the O= dir's link: not followed
}

const sizeOf = async (dir: string, file: string) => sumSizes(parseBerkeley((await sh(dir, 'size', ['-B', file])).stdout));

describe.skipIf(missing.length > 0)(`measureBuild on real objects${missing.length ? ` (skipped: ${missing.join(', ')} missing)` : ''}`, () => {
  let root: string;
  let m32 = false;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tiny-measure-'));
    // gcc -m32 -c needs only cc1's 32-bit support (no 32-bit libc: nothing is linked with gcc).
    m32 = (await missingPrerequisites('gcc-m32')) === undefined;
    await build26(join(root, 'b64'), false);
    await buildModern(join(root, 'modern'));
    if (m32) await build26(join(root, 'b32'), true);
  }, 300_000);
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('2.6-style: size, files, sha256, per-directory sizes and object counts, symbols', async () => {
    const dir = join(root, 'b64');
    const m = await measureBuild({ buildDir: dir, arch: 'i386', targets: ['vmlinux', 'bzImage'] });
    expect(m.size).toEqual(await sizeOf(dir, 'vmlinux'));
    expect(m.size.text).toBeGreaterThan(0);
    expect(m.size.dec).toBe(m.size.text + m.size.data + m.size.bss);
    expect(Object.keys(m.files).sort()).toEqual(['.config', 'System.map', 'bzImage', 'vmlinux']);
    expect(m.files.bzImage!.path).toBe('arch/i386/boot/bzImage');
    for (const [name, f] of Object.entries(m.files)) {
      expect(f.bytes, name).toBe((await stat(join(dir, f.path))).size);
      expect(m.sha256[name], name).toBe(await sha256File(join(dir, f.path)));
    }
    expect(m.dirs.map((d) => [d.dir, d.objects, d.builtins])).toEqual([
      ['arch', 1, ['arch/i386/kernel/built-in.o']],
      ['crypto', 0, ['crypto/built-in.o']],
      ['drivers', 2, ['drivers/built-in.o']],
      ['init', 2, ['init/built-in.o']],
      ['kernel', 2, ['kernel/built-in.o']],
    ]);
    for (const d of m.dirs) expect({ ...d, dir: undefined, objects: undefined, builtins: undefined }).toMatchObject(await sizeOf(dir, d.builtins[0]!));
    expect(m.dirs.find((d) => d.dir === 'crypto')).toMatchObject({ text: 0, data: 0, bss: 0, dec: 0 });
    // One level down: what drivers/.built-in.o.cmd links (not the stale drivers/input), and arch's deeper built-in.
    expect(m.subdirs!.map((d) => [d.dir, d.builtins])).toEqual([
      ['arch/i386/kernel', ['arch/i386/kernel/built-in.o']],
      ['drivers/base', ['drivers/base/built-in.o']],
      ['drivers/char', ['drivers/char/built-in.o']],
    ]);
    for (const d of m.subdirs!) expect({ ...d, dir: undefined, objects: undefined, builtins: undefined }).toMatchObject(await sizeOf(dir, d.builtins[0]!));
    const nm = parseNm((await sh(dir, 'nm', ['--size-sort', '-S', 'vmlinux'])).stdout);
    expect(m.symbols).toEqual(nm);
    expect(m.symbols.map((s) => s.name)).toEqual(expect.arrayContaining(['start_kernel', 'schedule', 'do_fork', 'runqueue', 'linux_banner', 'done.0']));
    expect(m.symbols.find((s) => s.name === 'runqueue')).toEqual({ name: 'runqueue', type: 'B', size: 256 });
    expect(m.symbols.every((s) => s.size > 0)).toBe(true);
    expect(m.tools).toEqual({ size: 'size', nm: 'nm' });
  });

  it('modern: thin built-in.a archives summed per member, nested archives counted once', async () => {
    const dir = join(root, 'modern');
    const m = await measureBuild({ buildDir: dir, arch: 'i386', targets: ['vmlinux', 'bzImage'] });
    expect(m.files.bzImage!.path).toBe('arch/i386/boot/bzImage'); // the symlink kbuild makes for ARCH=i386
    expect(m.dirs.map((d) => [d.dir, d.objects, d.builtins])).toEqual([
      ['arch', 1, ['arch/x86/built-in.a']],
      ['drivers', 2, ['drivers/built-in.a']],
      ['init', 2, ['init/built-in.a']],
      ['kernel', 2, ['kernel/built-in.a']],
    ]);
    const kernel = m.dirs.find((d) => d.dir === 'kernel')!;
    const members = sumSizes([await sizeOf(dir, 'kernel/sched.o'), await sizeOf(dir, 'kernel/fork.o')]);
    expect({ text: kernel.text, data: kernel.data, bss: kernel.bss, dec: kernel.dec }).toEqual(members);
  });

  it('a build whose objects changed shows in the symbol diff', async () => {
    const dir = join(root, 'b64-grown');
    await build26(dir, false, { 'kernel/fork.c': 'int nr_threads = 1; int fork_extra[8]; int do_fork(int f) { for (int i = 0; i < 8; i++) fork_extra[i] += f * i; return nr_threads += f; }\n' });
    const before = await measureBuild({ buildDir: join(root, 'b64'), arch: 'i386', targets: ['vmlinux'] });
    const after = await measureBuild({ buildDir: dir, arch: 'i386', targets: ['vmlinux'] });
    const d = symbolDiff(before.symbols, after.symbols);
    expect(d.changes.map((c) => c.name)).toEqual(expect.arrayContaining(['fork_extra', 'do_fork']));
    expect(d.add).toBe(1);
    expect(after.dirs.find((x) => x.dir === 'kernel')!.dec).toBeGreaterThan(before.dirs.find((x) => x.dir === 'kernel')!.dec);
  });

  it('i386 ELF: host size/nm read it, and agree with the i686 cross binutils', async (ctx) => {
    if (!m32) ctx.skip('gcc -m32 is not supported by this gcc');
    const dir = join(root, 'b32');
    expect((await sh(dir, 'file', ['vmlinux']).catch(() => ({ stdout: 'ELF 32-bit' }))).stdout).toMatch(/ELF 32-bit/);
    const host = await measureBuild({ buildDir: dir, arch: 'i386', targets: ['vmlinux', 'bzImage'] });
    expect(host.size.text).toBeGreaterThan(0);
    expect(host.symbols.find((s) => s.name === 'runqueue')).toEqual({ name: 'runqueue', type: 'B', size: 256 });
    if (crossWhy) ctx.skip(`${crossWhy}: host tools checked alone`);
    const cross = await measureBuild({ buildDir: dir, arch: 'i386', targets: ['vmlinux', 'bzImage'], tools: { size: 'i686-linux-gnu-size', nm: 'i686-linux-gnu-nm' } });
    expect({ ...cross, tools: undefined }).toEqual({ ...host, tools: undefined });
  });

  it('refuses a build dir without vmlinux or without a requested image', async () => {
    await expect(measureBuild({ buildDir: join(root, 'nowhere'), arch: 'i386', targets: ['vmlinux'] })).rejects.toThrow(TinyError);
    await expect(measureBuild({ buildDir: join(root, 'b64'), arch: 'arm', targets: ['vmlinux', 'zImage'] })).rejects.toThrow(/zImage/);
  });
});
