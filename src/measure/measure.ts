// Measure a built kernel: size(1) of vmlinux, image file sizes, per-directory sizes of the
// built-in objects, the sized symbol table, and the sha256 of every artifact. The only I/O of
// src/measure/: it runs `size` and `nm` and reads the build directory.
//
// Which binutils: the `size`/`nm` programs are parameters because cross binutils carry a prefix
// (i686-linux-gnu-size). The default is the ARCH's measure_tools (arches/<ARCH>.yaml), run on
// the host: GNU binutils on an x86-64 host read elf32-i386 and elf64-x86-64 natively (same
// numbers and symbol types as i686-linux-gnu-size/-nm; test/integration/measure-build.test.ts
// checks it), and other ELF files through the generic elf32/64-little/big backends. An
// architecture whose symbol types should follow the target's backend names its cross tools
// there (`arm-linux-gnueabi-nm`).

import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { run } from '../util/exec.js';
import { sha256File } from '../util/fs.js';
import { TinyError } from '../util/diagnostics.js';
import { findArch } from '../toolchain/arch.js';
import { parseBerkeley, parseNm, sumSizes, type SizeRow } from './parse.js';
import type { ArtifactFile, DirSize, Measurement, MeasureTools, SymbolEntry } from './types.js';

/** The host's plain size and nm: what an ARCH without its own measure_tools is measured with. */
export const HOST_TOOLS: MeasureTools = { size: 'size', nm: 'nm' };

/** The size and nm programs for a kernel ARCH (arches/<ARCH>.yaml), the host's by default. */
export function measureToolsFor(arch: string): MeasureTools {
  return findArch(arch)?.measureTools ?? HOST_TOOLS;
}

export interface MeasureOptions {
  /** The kernel build directory (O=), holding vmlinux. */
  buildDir: string;
  /** Kernel ARCH (i386, x86_64, arm ...): where to look for the boot image first. */
  arch: string;
  /** size and nm programs; default the ARCH's (see the note at the top of this file). */
  tools?: MeasureTools;
  /** make targets built: `vmlinux` and image names such as `bzImage` or `zImage`. */
  targets: readonly string[];
}

// Tools print numbers and messages the same way whatever the user's locale.
const TOOL_ENV = (): NodeJS.ProcessEnv => ({ ...process.env, LC_ALL: 'C' });

export async function runSize(tool: string, file: string, cwd: string): Promise<SizeRow[]> {
  const r = await run(tool, ['-B', file], { cwd, env: TOOL_ENV() });
  return parseBerkeley(r.stdout);
}

/**
 * size(1) of many files in one process (a process per built-in cost ~0.3 s a kernel): the rows
 * of each file, an archive's member rows under the archive's name. A file size prints nothing
 * for (an empty archive) gets no rows.
 */
export async function runSizeMany(tool: string, files: readonly string[], cwd: string): Promise<Map<string, SizeRow[]>> {
  const out = new Map<string, SizeRow[]>(files.map((f) => [f, []]));
  if (!files.length) return out;
  const r = await run(tool, ['-B', ...files], { cwd, env: TOOL_ENV() });
  for (const row of parseBerkeley(r.stdout)) {
    const rows = out.get(row.archive ?? row.filename);
    if (!rows) throw new Error(`${tool} printed a row for ${row.filename}, which it was not asked about`);
    rows.push(row);
  }
  return out;
}

export async function runNm(tool: string, file: string, cwd: string): Promise<SymbolEntry[]> {
  // "nm: vmlinux: no symbols" is a message on stderr with exit status 0.
  const r = await run(tool, ['--size-sort', '-S', file], { cwd, env: TOOL_ENV() });
  return parseNm(r.stdout);
}

async function fileInfo(buildDir: string, rel: string): Promise<(ArtifactFile & { sha256: string }) | undefined> {
  const abs = join(buildDir, rel);
  try {
    const st = await stat(abs);
    if (!st.isFile()) return undefined;
    return { path: rel, bytes: st.size, sha256: await sha256File(abs) };
  } catch {
    return undefined;
  }
}

/**
 * Where make leaves the image `name` (bzImage, zImage, Image ...): for the ARCH's boot image,
 * the paths arches/<ARCH>.yaml lists (ARCH=i386 on a modern kernel builds arch/x86/boot/bzImage
 * and links arch/i386/boot/bzImage to it); for another image, arch/<dir>/boot/<name> in each of
 * the ARCH's arch/ directories.
 */
export async function findImage(buildDir: string, arch: string, name: string): Promise<string | undefined> {
  const facts = findArch(arch);
  const candidates = facts?.bootImage?.target === name ? facts.bootImage.paths : (facts?.dirs ?? [arch]).map((d) => `arch/${d}/boot/${name}`);
  for (const c of candidates) {
    const st = await stat(join(buildDir, c)).catch(() => undefined);
    if (st?.isFile()) return c;
  }
  return undefined;
}

const BUILTIN_NAMES = ['built-in.a', 'built-in.o'];
/** Deep enough for arch/i386/kernel/built-in.o (2.6 has no arch/i386/built-in.o). */
const MAX_DEPTH = 3;

/**
 * The built-in objects of each top-level directory, relative to buildDir: `<dir>/built-in.{a,o}`
 * when it exists (it already contains its subdirectories), else the shallowest built-ins below
 * it, up to three levels deep. Symlinks (the O= dir's `source`) and dot-dirs are not followed.
 * lib.a archives (lib/lib.a, arch/i386/lib/lib.a) are left out: the linker takes only the
 * members something references, so their size is not what they add to vmlinux.
 */
export async function findBuiltins(buildDir: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const walk = async (rel: string, depth: number, acc: string[]): Promise<void> => {
    const entries = await readdir(join(buildDir, rel), { withFileTypes: true }).catch(() => []);
    const files = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
    const own = BUILTIN_NAMES.find((n) => files.has(n));
    if (own) {
      acc.push(`${rel}/${own}`);
      return;
    }
    if (depth >= MAX_DEPTH) return;
    const subdirs = entries
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
    for (const d of subdirs) await walk(`${rel}/${d}`, depth + 1, acc);
  };
  const top = await readdir(buildDir, { withFileTypes: true });
  for (const e of top.filter((e) => e.isDirectory() && !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const acc: string[] = [];
    await walk(e.name, 1, acc);
    if (acc.length) out.set(e.name, acc);
  }
  return out;
}

/**
 * One level below a top-level directory: each immediate subdirectory's own built-in, when the
 * directory has one itself (net/ipv4/built-in.o under net/built-in.o); else the deeper built-ins
 * findBuiltins took for it, each on its own (arch/i386/kernel/built-in.o ...).
 */
export async function findSubBuiltins(buildDir: string, dir: string, builtins: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const own = builtins.length === 1 && builtins[0]!.startsWith(`${dir}/built-in.`);
  if (!own) {
    for (const b of builtins) out.set(b.slice(0, b.lastIndexOf('/')), [b]);
    return out;
  }
  // The build directory is reused across toggles: a subdirectory's built-in can be left from an
  // earlier .config. Kbuild's command line for the parent (.built-in.o.cmd or .built-in.a.cmd,
  // see linkedBy) names the ones really linked; without it (a tree that keeps no .cmd files)
  // every one found counts.
  const parent = builtins[0]!;
  const cmd = await readFile(join(buildDir, dir, `.${parent.slice(parent.lastIndexOf('/') + 1)}.cmd`), 'utf8').catch(() => undefined);
  const entries = await readdir(join(buildDir, dir), { withFileTypes: true }).catch(() => []);
  for (const e of entries.filter((x) => x.isDirectory() && !x.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const files = new Set(await readdir(join(buildDir, dir, e.name)).catch(() => [] as string[]));
    const name = BUILTIN_NAMES.find((n) => files.has(n));
    const path = `${dir}/${e.name}/${name}`;
    if (name && (cmd === undefined || linkedBy(cmd, dir, `${e.name}/${name}`))) out.set(`${dir}/${e.name}`, [path]);
  }
  return out;
}

/**
 * Does a parent's kbuild command link `rel` (relative to `dir`)? 2.6 names it in full
 * (`ld -r -o net/built-in.o ... net/ipv4/built-in.o`); 5.x/6.x prefixes a list
 * (`printf "net/%s " socket.o ipv4/built-in.a ... | xargs ar cDPrST net/built-in.a`).
 */
export function linkedBy(cmd: string, dir: string, rel: string): boolean {
  const words = cmd.split(/\s+/);
  return words.includes(`${dir}/${rel}`) || (cmd.includes(`"${dir}/%s "`) && words.includes(rel));
}

/**
 * The objects of a 2.6-style `ld -r` built-in.o, from kbuild's `.built-in.o.cmd`
 * (`cmd_init/built-in.o := ld -m elf_i386 -r -o init/built-in.o init/main.o ...`), nested
 * built-in.o files counted through their own .cmd; the `rm -f $@; ar rcs $@` of an empty
 * directory has none. undefined when a .cmd file is missing or not understood.
 */
export async function countLinkedObjects(buildDir: string, rel: string, seen = new Set<string>()): Promise<number | undefined> {
  if (seen.has(rel)) return 0;
  seen.add(rel);
  const cmdFile = join(buildDir, dirname(rel), `.${rel.split('/').pop()}.cmd`);
  const text = await readFile(cmdFile, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const m = /^cmd_\S+\s*:=\s*(.*)$/m.exec(text);
  if (!m) return undefined;
  const cmd = m[1]!;
  if (/\bar\s+\S*r\S*\s+\S+\s*$/.test(cmd) && !/\s-r\s/.test(cmd)) return 0; // empty archive
  const words = cmd.split(/\s+/).filter(Boolean);
  const o = words.indexOf('-o');
  if (o < 0 || !words.includes('-r')) return undefined;
  let n = 0;
  for (const w of words.slice(o + 2)) {
    if (!w.endsWith('.o')) continue;
    if (/(^|\/)built-in\.o$/.test(w)) {
      const sub = relative(buildDir, resolve(buildDir, w));
      const c = await countLinkedObjects(buildDir, sub, seen);
      if (c === undefined) return undefined;
      n += c;
    } else n += 1;
  }
  return n;
}

/** Size of one top-level directory from its built-in files. */
export async function measureDir(buildDir: string, dir: string, builtins: readonly string[], sizeTool: string, sized?: ReadonlyMap<string, SizeRow[]>): Promise<DirSize> {
  const rows: SizeRow[] = [];
  let objects: number | undefined = 0;
  for (const b of builtins) {
    const r = sized?.get(b) ?? (await runSize(sizeTool, b, buildDir));
    rows.push(...r);
    if (r.some((x) => x.archive !== undefined) || r.length === 0) {
      // An archive (modern thin built-in.a, 4.13-4.16 thin built-in.o, or 2.6's empty
      // `ar rcs built-in.o`): one size line per member object.
      if (objects !== undefined) objects += r.length;
    } else {
      const c = await countLinkedObjects(buildDir, b);
      objects = objects === undefined || c === undefined ? undefined : objects + c;
    }
  }
  const s = sumSizes(rows);
  return { dir, ...s, ...(objects === undefined ? {} : { objects }), builtins: [...builtins] };
}

/** Measure the kernel in `buildDir`. Throws TinyError when vmlinux or a requested image is missing. */
export async function measureBuild(opts: MeasureOptions): Promise<Measurement> {
  const buildDir = resolve(opts.buildDir);
  const tools = opts.tools ?? measureToolsFor(opts.arch);
  const vmlinux = await lstat(join(buildDir, 'vmlinux')).catch(() => undefined);
  if (!vmlinux?.isFile()) throw new TinyError(`no vmlinux in ${buildDir}`, 1, [], 'the build did not link vmlinux: see the build log');

  const files: Record<string, ArtifactFile> = {};
  const sha256: Record<string, string> = {};
  const add = (name: string, info: (ArtifactFile & { sha256: string }) | undefined) => {
    if (!info) return;
    files[name] = { path: info.path, bytes: info.bytes };
    sha256[name] = info.sha256;
  };
  add('vmlinux', await fileInfo(buildDir, 'vmlinux'));
  for (const t of opts.targets) {
    if (t === 'vmlinux' || t in files) continue;
    const p = await findImage(buildDir, opts.arch, t);
    if (!p)
      throw new TinyError(
        `target ${t} was requested but ${buildDir} has no ${t} where make leaves it for ARCH=${opts.arch}`,
        1,
        [],
        `the places looked at come from arches/${opts.arch}.yaml (boot_image.paths, dirs)`,
      );
    add(t, await fileInfo(buildDir, p));
  }
  add('System.map', await fileInfo(buildDir, 'System.map'));
  add('.config', await fileInfo(buildDir, '.config'));

  const sizeRows = await runSize(tools.size, 'vmlinux', buildDir);
  const row = sizeRows.find((r) => r.filename === 'vmlinux') ?? sizeRows[0];
  if (!row) throw new TinyError(`${tools.size} printed no size for ${join(buildDir, 'vmlinux')}`, 1);
  const size = { text: row.text, data: row.data, bss: row.bss, dec: row.dec };

  // Every built-in sized by one size(1) process, while nm reads vmlinux.
  const tops = [...(await findBuiltins(buildDir))];
  const subs = await Promise.all(tops.map(async ([dir, builtins]) => [...(await findSubBuiltins(buildDir, dir, builtins))]));
  const builtinFiles = [...new Set([...tops.flatMap(([, b]) => b), ...subs.flat().flatMap(([, b]) => b)])];
  const [sized, symbols] = await Promise.all([runSizeMany(tools.size, builtinFiles, buildDir), runNm(tools.nm, 'vmlinux', buildDir)]);
  const dirs: DirSize[] = [];
  const subdirs: DirSize[] = [];
  for (const [i, [dir, builtins]] of tops.entries()) {
    dirs.push(await measureDir(buildDir, dir, builtins, tools.size, sized));
    for (const [sub, subBuiltins] of subs[i]!) subdirs.push(await measureDir(buildDir, sub, subBuiltins, tools.size, sized));
  }

  return { size, files, sha256, dirs, subdirs, symbols, tools: { ...tools } };
}
