// The I/O of the inline-cost report: which objects a build made, their symbols (nm), and the
// inline definitions in the tree's headers. The arithmetic is in analyse.ts.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseNm } from '../measure/parse.js';
import type { SymbolEntry } from '../measure/types.js';
import { run } from '../util/exec.js';
import type { ObjectSymbols } from './analyse.js';
import { archDirs, srcArch } from '../toolchain/arch.js';

/** Directories of a build whose objects are not kernel code: host programs, boot loaders, the initramfs. */
const NOT_KERNEL = [/^scripts\//, /^arch\/[^/]+\/boot\//, /^usr\//, /^Documentation\//];

/**
 * The kernel objects of a build directory, sorted: every `*.o` the compiler made, except the
 * objects of host programs, boot code and the initramfs. Linked aggregates are left out, or
 * their members would count twice: built-in.o, .tmp_* kallsyms objects, *.mod.o, and
 * composite objects (fs/ext2/ext2.o, drivers/ide/ide-core.o, init/mounts.o: `ld -r` of
 * their parts, told by kbuild's .cmd file). lib.a members are included although the linker
 * takes only the members something references.
 */
export async function kernelObjects(buildDir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(buildDir, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!e.name.startsWith('.') && !NOT_KERNEL.some((r) => r.test(`${path}/`))) await walk(path);
      } else if (e.isFile() && e.name.endsWith('.o') && !isAggregate(e.name)) {
        const cmd = await readFile(join(buildDir, rel, `.${e.name}.cmd`), 'utf8').catch(() => '');
        if (!isLinkCommand(cmd)) out.push(path);
      }
    }
  };
  await walk('');
  return out.sort();
}

/** Is kbuild's saved command (`cmd_x.o := ...`, the first line of .x.o.cmd) an `ld -r` link? */
export function isLinkCommand(cmdFile: string): boolean {
  const m = /^cmd_\S+\s*:=\s*(.*)$/m.exec(cmdFile);
  if (!m) return false;
  const words = m[1]!.trim().split(/\s+/);
  return /(^|-)ld$/.test(words[0] ?? '') && words.includes('-r');
}

export function isAggregate(name: string): boolean {
  return name === 'built-in.o' || name.startsWith('.tmp_') || name.endsWith('.mod.o') || name === 'vmlinux.o';
}

/**
 * Split the output of `nm --size-sort -S a.o b.o ...` by file: nm prints an empty line and
 * `a.o:` before each file's symbols when given several files.
 */
export function splitNmByFile(out: string): Map<string, SymbolEntry[]> {
  const files = new Map<string, SymbolEntry[]>();
  let current: string | undefined;
  let chunk: string[] = [];
  const flush = () => {
    if (current !== undefined) files.set(current, parseNm(chunk.join('\n')));
    chunk = [];
  };
  for (const line of out.split('\n')) {
    const header = /^(\S.*\.o):\s*$/.exec(line);
    if (header) {
      flush();
      current = header[1]!;
    } else chunk.push(line);
  }
  flush();
  return files;
}

/** nm every object (in batches: one process per object would take minutes on 2.6's ~400). */
export async function objectSymbols(buildDir: string, objects: readonly string[], nm = 'nm'): Promise<ObjectSymbols[]> {
  const out: ObjectSymbols[] = [];
  const BATCH = 64;
  for (let i = 0; i < objects.length; i += BATCH) {
    const batch = objects.slice(i, i + BATCH);
    // Two files at least, so nm always prints the `file:` headers.
    const args = batch.length === 1 ? [batch[0]!, batch[0]!] : batch;
    const r = await run(nm, ['--size-sort', '-S', ...args], { cwd: buildDir, env: { ...process.env, LC_ALL: 'C' }, allowFail: true });
    const byFile = splitNmByFile(r.stdout);
    for (const o of batch) out.push({ object: o, symbols: byFile.get(o) ?? [] });
  }
  return out;
}

/**
 * The headers of a tree to look for inline definitions in, the likeliest first: the arch's own
 * include/asm-<arch> (2.6) or arch/<arch>/include (later kernels), include/ without the other
 * arches' asm-*, then the headers next to the code (drivers/, net/, fs/ ...).
 */
export async function treeHeaders(tree: string, arch: string): Promise<Array<{ file: string; text: string }>> {
  const files: string[] = [];
  const walk = async (rel: string, skip: (path: string) => boolean): Promise<void> => {
    const entries = await readdir(join(tree, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.name.startsWith('.') || skip(path)) continue;
      if (e.isDirectory()) await walk(path, skip);
      else if (e.isFile() && e.name.endsWith('.h')) files.push(path);
    }
  };
  const own = new Set([`include/asm-${arch}`, 'include/asm-generic', ...archDirs(arch).map((a) => `arch/${a}`)]);
  await walk(`include/asm-${arch}`, () => false);
  await walk(`arch/${srcArch(arch)}/include`, () => false);
  await walk('include', (p) => /^include\/asm(-|$)/.test(p) && !own.has(p));
  await walk('include/asm-generic', () => false);
  await walk('', (p) => p === 'include' || p === 'scripts' || p === 'Documentation' || p === 'usr' || (/^arch\/[^/]+$/.test(p) && !own.has(p)));
  const seen = new Set<string>();
  const out: Array<{ file: string; text: string }> = [];
  for (const f of files) {
    if (seen.has(f)) continue;
    seen.add(f);
    out.push({ file: f, text: await readFile(join(tree, f), 'utf8').catch(() => '') });
  }
  return out;
}
