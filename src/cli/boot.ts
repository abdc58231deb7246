// `tiny boot --config NAME`: the configuration's kernel (from the record store; built through
// the matrix when it is not there) booted under qemu with the boot probe as its root (an
// initramfs, or an ext2 disk on hda); MemTotal, MemFree and the boot time printed and kept
// with the build record; --find-min-mem bisects the smallest memory (-m, or the kernel's mem=)
// that still reaches init. Argument parsing and rendering only: the work is in src/boot/run.ts.

import { Option, type Command } from 'commander';
import { parseMem, memArg, type MemLimit, type RootKind } from '../boot/index.js';
import { bootConfiguration, bootJson, bootPassed, failureReason, memLabel, renderBootText, renderTry } from '../boot/run.js';
import { renderCensusText } from '../report/runtime.js';
import { RUNTIME_NAMES, type RuntimeName } from '../toolchain/runtime.js';
import { cacheDir } from '../util/cache.js';
import { EXIT, TinyError } from '../util/diagnostics.js';
import { configRoot } from './build.js';
import { addQueueOption, ALLOW_OTHER_BASE, ALLOW_OTHER_BASE_HELP, queueDir, setExit, writeOut } from './options.js';

/** A --mem style size in KiB, or bad input naming the option. */
function memOption(name: string, value: string): number {
  try {
    return parseMem(value);
  } catch (e) {
    throw new TinyError(`${name}: ${(e as Error).message}`, 2);
  }
}

export function registerBootCommand(program: Command): void {
  const cmd = program
    .command('boot')
    .description("boot a configuration's kernel under qemu with a tiny root (initramfs or ext2 disk); record MemTotal/MemFree at boot and the boot time")
    .requiredOption('--config <name>', 'the build configuration: configs/<name>.yaml (or a path to a .yaml file)')
    .option('--tree <dir>', "a kernel tree (directory or tarball) to use as the base instead of the queue's")
    .option(ALLOW_OTHER_BASE, ALLOW_OTHER_BASE_HELP)
    .option('--base <version>', 'the base version to use (one the queue claims)')
    .option('--toggle <name>', 'the toggle to boot (default: queue, the kernel the configuration means; base when it selects no queue patch)')
    .option('--mem <size>', 'the memory to boot with (K or M suffix; M by default): qemu -m, or mem= with --limit kernel', '32M')
    .addOption(
      new Option('--limit <who>', "what --mem limits: the machine (qemu -m) or the kernel (mem=SIZE on its command line, in a machine of --machine-mem: the 2004 'boots with mem=2M')")
        .choices(['machine', 'kernel'])
        .default('machine'),
    )
    .option('--machine-mem <size>', 'qemu -m with --limit kernel', '32M')
    .addOption(
      new Option('--root <kind>', 'the root file system: an initramfs (qemu -initrd), an ext2 disk on the first IDE disk, or auto (initramfs when the kernel has BLK_DEV_INITRD, else the disk)')
        .choices(['auto', 'initramfs', 'disk'])
        .default('auto'),
    )
    .option('--find-min-mem', 'also bisect the smallest memory that boots to init (8 KiB steps of -m, 4 KiB of mem=); with --http, that still serves HTTP')
    .option(
      '--http',
      "the web server test: give the machine the kernel's network card (user networking, only the guest's port 80 forwarded from a free 127.0.0.1 port); the probe serves HTTP on eth0, tiny fetches the page; a kernel that boots but does not serve fails",
    )
    .option(
      '--kmalloc',
      "the allocation census: build the toggle with KMALLOC_ACCOUNTING=y (the queue's kmalloc-accounting patch), boot it, read /proc/kmalloc and resolve its callers with System.map; kept with the toggle's record (boot/kmalloc.json)",
    )
    .option('--timeout <seconds>', 'give up on a boot after this long (a hang)', '120')
    .addOption(new Option('--runtime <runtime>', 'container runtime for a build (default: $TINY_RUNTIME, else podman, docker, host)').choices([...RUNTIME_NAMES]))
    .option('--jobs <n>', 'make -j N when the kernel has to be built')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--json', 'same as --format json')
    .addHelpText(
      'after',
      `
The kernel is the toggle's record in the store; when it is not there it is built first (as
tiny build --only <toggle> would). qemu-system-i386 runs it in software emulation with the
serial console on stdout, no network, -no-reboot, and a root holding only init
(src/boot/init.c: mounts /proc, prints /proc/meminfo, restarts): an initramfs (the kernel
needs BLK_DEV_INITRD) or an 80 KB ext2 disk on hda, mounted read-only from a qemu snapshot
(BLK_DEV_IDEDISK, EXT2_FS). Both need PROC_FS. --limit kernel keeps the machine at
--machine-mem and gives the kernel mem=--mem; it needs the disk root (an initrd sits at the
top of the machine's memory, where mem= hides it). Results are kept in the record directory,
under boot/.

--http adds the kernel's network card (arches/<arch>.yaml qemu nics: NE2K_PCI is ne2k_pci)
on qemu user networking with restrict=on; the probe gives eth0 10.0.2.15/24, listens on port
80 and answers GETs with a page and its /proc/meminfo until GET /restart. tiny fetches / three
times through 127.0.0.1:<free port> and records the round trips and MemFree while serving.

Exit status: 0 booted to init (and served the page with --http), 1 the kernel panicked,
BUGged, hung, never reached init or did not serve (the reason and the last console lines are
printed), or the build failed; 2 bad input.`,
    );
  addQueueOption(cmd);
  cmd.action(async (opts: Record<string, unknown>, command: Command) => {
    const format = opts.json ? 'json' : (opts.format as string);
    const err = (line: string) => process.stderr.write(line.endsWith('\n') ? line : line + '\n');
    const memKiB = memOption('--mem', opts.mem as string);
    const limit = opts.limit as MemLimit;
    const machineKiB = limit === 'kernel' ? memOption('--machine-mem', opts.machineMem as string) : memKiB;
    const timeoutS = Number(opts.timeout);
    if (!(timeoutS > 0)) throw new TinyError(`--timeout must be a positive number of seconds, not '${String(opts.timeout)}'`, 2);
    const jobs = opts.jobs === undefined ? undefined : Number(opts.jobs);
    if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1)) throw new TinyError(`--jobs must be a whole number of at least 1`, 2);

    const b = await bootConfiguration({
      root: configRoot(),
      config: opts.config as string,
      queueDir: queueDir(opts),
      cacheDir: cacheDir(),
      ...(opts.tree ? { tree: opts.tree as string } : {}),
      ...(opts.allowOtherBase ? { allowOtherBase: true } : {}),
      ...(opts.base ? { base: opts.base as string } : {}),
      ...(opts.runtime ? { runtime: opts.runtime as RuntimeName } : {}),
      ...(jobs ? { jobs } : {}),
      ...(opts.toggle ? { toggle: opts.toggle as string } : {}),
      memKiB,
      limit,
      machineKiB,
      rootFs: opts.root as 'auto' | RootKind,
      findMinMem: !!opts.findMinMem,
      ...(opts.http ? { http: true } : {}),
      ...(opts.kmalloc ? { kmalloc: true } : {}),
      timeoutMs: timeoutS * 1000,
      onLog: (l) => err(`tiny: ${l}`),
      onBooting: (w) => {
        if (format === 'text') err(`tiny: booting ${w.config} ${w.toggle} with ${memLabel(limit, memKiB)}${limit === 'kernel' ? ` (qemu -m ${memArg(machineKiB)})` : ''} under ${w.qemuVersion}`);
      },
      onTry: (t, r) => {
        if (format === 'text') err(`tiny:   ${renderTry(limit, t, r)}`);
      },
    });
    const census = b.first.kmalloc ? ['', ...renderCensusText(b.toggle, `${memLabel(limit, memKiB)}${b.first.http?.served ? ', after serving HTTP' : ''}`, b.first.kmalloc)].join('\n') : '';
    writeOut(format === 'json' ? JSON.stringify(bootJson(b), null, 2) : renderBootText(b) + census);
    if (!bootPassed(b.first)) {
      err(`tiny: ${b.config} ${b.toggle} ${b.first.booted ? 'did not serve HTTP' : 'did not boot'} with ${memLabel(limit, memKiB)}: ${b.first.booted ? b.first.http?.reason : failureReason(b.first)}`);
      err(`tiny: last console lines:`);
      for (const l of b.first.console.slice(-25)) err(`  | ${l}`);
      setExit(command, EXIT.checkFailed);
    }
  });
}
