// `tiny boot --config NAME`: the configuration's kernel (from the record store; built through
// the matrix when it is not there) booted under qemu with the boot probe as its root (an
// initramfs, or an ext2 disk on hda); MemTotal, MemFree and the boot time printed and kept
// with the build record; --find-min-mem bisects the smallest memory (-m, or the kernel's mem=)
// that still reaches init. Argument parsing, the lock and rendering only: the
// work is in src/boot/ and src/matrix/.

import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { buildInit, buildInitramfs, buildRootDisk, defaultRoot, missingBootOptions, findMinMem, judgeConsole, lastLines, MARKERS, memArg, parseMem, qemuArgs, qemuBinary, qemuVersion, runQemu, saveBootResult, saveMinMem, type BootResult, type MemLimit, type MinMemRecord, type RootKind } from '../boot/index.js';
import { bootScratch } from '../boot/scratch.js';
import { loadBuildConfig } from '../kbuild/buildconfig.js';
import { displayOrder } from '../matrix/plan.js';
import { MatrixRunner } from '../matrix/run.js';
import { prepareMatrix } from '../matrix/setup.js';
import { corruptRecordError, inspectRecord, readArtifact, withBuildLock, type BuildRecord } from '../store/index.js';
import { RUNTIME_NAMES } from '../toolchain/runtime.js';
import { cacheDir } from '../util/cache.js';
import { EXIT, TinyError } from '../util/diagnostics.js';
import { sha256 } from '../util/fs.js';
import { configRoot } from './build.js';
import { addQueueOption, matrixOptions, setExit, writeOut, ALLOW_OTHER_BASE, ALLOW_OTHER_BASE_HELP } from './options.js';

/**
 * The search's step: qemu's PC machine rounds -m up to a multiple of 8 KiB (QEMU_ALIGN_UP(size,
 * 8192) in vl.c); the kernel's mem= counts 4 KiB pages.
 */
const MEM_STEP_KIB: Record<MemLimit, number> = { machine: 8, kernel: 4 };
/** An i386 bzImage is loaded at 1 MiB: it cannot boot with 1 MiB or less, so the search never tries it. */
const MEM_FLOOR_KIB = 1024;

const kb = (n: number | undefined) => (n === undefined ? '?' : `${n.toLocaleString('en-US')} kB`);
const secs = (ms: number | undefined) => (ms === undefined ? '?' : `${(ms / 1000).toFixed(1)} s`);

function initramfsUnderMemLimit(memKiB: number): TinyError {
  return new TinyError(
    `--limit kernel needs --root disk: qemu puts the initramfs at the top of the machine's memory, above mem=${memArg(memKiB)}, and the kernel drops it`,
    2,
    [],
    `tiny boot --root disk (the kernel needs BLK_DEV_IDEDISK and EXT2_FS), or --limit machine`,
  );
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
    .addOption(new Option('--limit <who>', "what --mem limits: the machine (qemu -m) or the kernel (mem=SIZE on its command line, in a machine of --machine-mem: the 2004 'boots with mem=2M')").choices(['machine', 'kernel']).default('machine'))
    .option('--machine-mem <size>', 'qemu -m with --limit kernel', '32M')
    .addOption(new Option('--root <kind>', 'the root file system: an initramfs (qemu -initrd), an ext2 disk on the first IDE disk, or auto (initramfs when the kernel has BLK_DEV_INITRD, else the disk)').choices(['auto', 'initramfs', 'disk']).default('auto'))
    .option('--find-min-mem', 'also bisect the smallest memory that boots to init (8 KiB steps of -m, 4 KiB of mem=)')
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

Exit status: 0 booted to init, 1 the kernel panicked, BUGged, hung or never reached init
(the last console lines are printed), or the build failed; 2 bad input.`,
    );
  addQueueOption(cmd);
  cmd.action(async (opts: Record<string, unknown>, command: Command) => {
    const format = opts.json ? 'json' : (opts.format as string);
    const err = (line: string) => process.stderr.write(line.endsWith('\n') ? line : line + '\n');
    const cache = cacheDir();
    let memKiB: number;
    try {
      memKiB = parseMem(opts.mem as string);
    } catch (e) {
      throw new TinyError(`--mem: ${(e as Error).message}`, 2);
    }
    const limit = opts.limit as MemLimit;
    let machineKiB = memKiB;
    if (limit === 'kernel') {
      try {
        machineKiB = parseMem(opts.machineMem as string);
      } catch (e) {
        throw new TinyError(`--machine-mem: ${(e as Error).message}`, 2);
      }
      if (memKiB > machineKiB) throw new TinyError(`--mem ${memArg(memKiB)} is more than the machine's --machine-mem ${memArg(machineKiB)}: mem= can only take memory away`, 2);
    }
    if (limit === 'kernel' && opts.root === 'initramfs') throw initramfsUnderMemLimit(memKiB);
    const step = MEM_STEP_KIB[limit];
    if (opts.findMinMem && (memKiB <= MEM_FLOOR_KIB || memKiB % step !== 0)) throw new TinyError(`--mem must be a multiple of ${step}K above 1M for --find-min-mem`, 2);
    const memLabel = (kib: number) => (limit === 'kernel' ? `mem=${memArg(kib)}` : `-m ${memArg(kib)}`);
    const timeoutS = Number(opts.timeout);
    if (!(timeoutS > 0)) throw new TinyError(`--timeout must be a positive number of seconds, not '${String(opts.timeout)}'`, 2);
    const jobs = opts.jobs === undefined ? undefined : Number(opts.jobs);
    if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1)) throw new TinyError(`--jobs must be a whole number of at least 1`, 2);

    // qemu first: no point building a kernel that cannot be booted here.
    const config = await loadBuildConfig(configRoot(), opts.config as string);
    const qemu = qemuBinary(config.arch);
    const version = await qemuVersion(qemu);

    // The kernel: the toggle's record. The matrix is prepared once; a stored record is used
    // without the cache's build lock (a matrix may be building in this cache meanwhile), a
    // missing one is built under the lock.
    const prepared = await prepareMatrix({ root: configRoot(), ...matrixOptions({ ...opts, jobs }), cacheDir: cache, onLog: (l) => err(`tiny: ${l}`) });
    const names = displayOrder(prepared.plan.toggles).map((t) => t.name);
    const want = (opts.toggle as string | undefined) ?? (names.includes('queue') ? 'queue' : 'base');
    const toggle = prepared.plan.toggles.find((t) => t.name === want);
    if (!toggle) throw new TinyError(`--toggle: no toggle ${want} in ${prepared.config.name}`, 2, [], `toggles of this configuration: ${names.join(', ')}`);
    const runner = new MatrixRunner(prepared.setup, prepared.plan, {
      onEvent: (e) => {
        if (e.state === 'building') err(`tiny: building ${toggle.name} of ${prepared.config.name} (make -j${prepared.setup.jobs}; log: ${join(cache, 'logs', prepared.config.name)})`);
      },
    });
    const stored = await runner.storedRecord(toggle).catch(() => undefined);
    const { p, record } = stored
      ? { p: prepared, record: stored }
      : await withBuildLock(
          cache,
          async () => {
            const p = prepared;
            const r = await runner.runToggle(toggle);
            if (r.status !== 'built' && r.status !== 'cached') {
              throw new TinyError(`${p.config.name} ${toggle.name} did not build: ${r.error ?? r.status}`, 1, [], r.details?.join('\n'));
            }
            const found = r.record ? undefined : r.key ? await inspectRecord(p.setup.records, r.key) : undefined;
            if (found?.state === 'corrupt') throw corruptRecordError(r.key!, found, `\`tiny build --config ${p.config.name}\``);
            const record: BuildRecord | undefined = r.record ?? (found?.state === 'ok' ? found.record : undefined);
            if (!record) throw new TinyError(`${p.config.name} ${toggle.name}: its record is not in the store`, 1);
            if (r.status === 'built') err(`tiny: built ${toggle.name} in ${secs(r.durationMs)}`);
            return { p, record };
          },
          { onWait: (pid) => err(`tiny: another tiny build${pid ? ` (process ${pid})` : ''} is using the cache ${cache}: waiting for it to finish...`) },
        );

    const image = await readArtifact(p.setup.records, record, 'image');
    if (!image || !record.imageName) throw new TinyError(`record ${record.key.slice(0, 12)} holds no boot image (targets: ${record.inputs.targets.join(', ')})`, 1, [], 'add bzImage to the configuration\'s targets');
    const dotConfig = (await readArtifact(p.setup.records, record, 'config'))?.toString('utf8') ?? '';
    // mem= hides an initramfs (see above): auto picks the disk under --limit kernel.
    const rootKind: RootKind = opts.root === 'auto' ? (limit === 'kernel' ? 'disk' : defaultRoot(dotConfig)) : (opts.root as RootKind);
    const missing = missingBootOptions(dotConfig, rootKind);
    if (missing.length) {
      throw new TinyError(
        `${p.config.name} ${record.toggle.name} cannot run the boot probe from ${rootKind === 'disk' ? 'a disk' : 'an initramfs'}: its .config lacks ${missing.map((m) => `CONFIG_${m.symbol}`).join(', ')}`,
        1,
        [],
        `add to the fragment of ${p.config.displayFile}: ${missing.map((m) => `${m.symbol}: y (${m.why})`).join('; ')}`,
      );
    }
    const init = await buildInit({ cacheDir: cache, runtime: p.runtime, image: p.setup.image.id, crossCompile: p.toolchain.crossCompile[config.arch] ?? '', onLog: (l) => err(`tiny: ${l}`) });
    const rootImage = rootKind === 'disk' ? buildRootDisk(init.bytes) : buildInitramfs(init.bytes);
    const rootInfo = { kind: rootKind, sha256: sha256(rootImage), bytes: rootImage.length };
    const rootName = rootKind === 'disk' ? 'root.ext2' : 'initramfs.cpio';
    const imageInfo = { name: record.imageName, sha256: sha256(image), bytes: image.length };

    const work = await bootScratch(join(cache, 'boot', 'tmp'), record.key.slice(0, 16));
    const kernelFile = join(work, record.imageName);
    const rootFile = join(work, rootName);
    await writeFile(kernelFile, image);
    await writeFile(rootFile, rootImage);

    let firstOutputMs: number | undefined;
    const bootAt = async (kib: number, timeoutMs: number, silentMs?: number): Promise<BootResult> => {
      const machine = limit === 'kernel' ? machineKiB : kib;
      const args = qemuArgs({ arch: config.arch, kernel: kernelFile, root: { kind: rootKind, file: rootFile }, memKiB: machine, ...(limit === 'kernel' ? { kernelMemKiB: kib } : {}) });
      const run = await runQemu(qemu, args, { timeoutMs, mark: MARKERS.started, ...(silentMs ? { silentMs } : {}) });
      firstOutputMs ??= run.firstOutputMs;
      const v = judgeConsole(run.console, run, { memLimitedByKernel: limit === 'kernel' });
      const result: BootResult = {
        schema: 2,
        kind: 'boot',
        key: record.key,
        memKiB: kib,
        limit,
        machineKiB: machine,
        root: rootInfo,
        image: imageInfo,
        // The temp paths mean nothing later: the record names the kernel, the hash the root image.
        qemu: { version, argv: [qemu, ...args].map((a) => a.replace(kernelFile, record.imageName!).replace(rootFile, rootName)) },
        booted: v.booted,
        ...(v.failure ? { failure: v.failure } : {}),
        ...(v.reason ? { reason: v.reason } : {}),
        ...(v.meminfo ? { memTotalKiB: v.meminfo.MemTotal, memFreeKiB: v.meminfo.MemFree } : {}),
        ...(run.markMs !== undefined ? { toInitMs: run.markMs } : {}),
        totalMs: run.durationMs,
        ...(v.uptimeAtInit !== undefined ? { uptimeAtInit: v.uptimeAtInit } : {}),
        ...(v.banner ? { banner: v.banner } : {}),
        console: lastLines(run.console, v.booted ? 60 : 200),
        at: new Date().toISOString(),
      };
      if (!v.booted && run.stderr.trim()) result.console.push(...run.stderr.trim().split('\n').map((l) => `[qemu] ${l}`));
      await saveBootResult(p.setup.records, result);
      return result;
    };

    try {
      const header = `${p.config.name} ${record.toggle.name} ${record.baseVersion ?? p.base.version} (record ${record.key.slice(0, 12)}): ${imageInfo.name} ${imageInfo.bytes.toLocaleString('en-US')} bytes; ${rootKind === 'disk' ? 'root disk (ext2 on hda)' : 'initramfs'} ${rootInfo.bytes.toLocaleString('en-US')} bytes (sha256 ${rootInfo.sha256.slice(0, 12)})`;
      if (format === 'text') err(`tiny: booting ${p.config.name} ${record.toggle.name} with ${memLabel(memKiB)}${limit === 'kernel' ? ` (qemu -m ${memArg(machineKiB)})` : ''} under ${version}`);
      const first = await bootAt(memKiB, timeoutS * 1000);
      let minMem: MinMemRecord | undefined;
      if (first.booted && opts.findMinMem) {
        // A failing boot that hangs costs its whole timeout: allow 4x the good boot, at least 15 s;
        // one that stays silent (a kernel too big to decompress) 5x the good boot's first output, at
        // least 5 s — unless the good boot's first words were init's: a kernel without printk is
        // silent until init even when it boots, so its silence says nothing (a slow boot on a busy
        // machine would be cut and counted as a failure).
        const stepTimeout = Math.min(timeoutS * 1000, Math.max(15_000, 4 * first.totalMs));
        const kernelSpeaks = !first.console.find((l) => l.trim() !== '')?.startsWith(MARKERS.started);
        const silentTimeout = firstOutputMs !== undefined && kernelSpeaks ? Math.max(5_000, 5 * firstOutputMs) : undefined;
        const atMin = new Map<number, BootResult>([[memKiB, first]]);
        const found = await findMinMem({
          highKiB: memKiB,
          lowKiB: MEM_FLOOR_KIB,
          stepKiB: step,
          known: [{ kib: memKiB, booted: true }],
          boot: async (kib) => {
            const r = await bootAt(kib, stepTimeout, silentTimeout);
            atMin.set(kib, r);
            return { booted: r.booted, ...(r.reason ? { reason: r.reason } : {}) };
          },
          onTry: (t) => {
            if (format === 'text') err(`tiny:   ${memLabel(t.kib)}: ${t.booted ? `boots (MemFree ${kb(atMin.get(t.kib)?.memFreeKiB)})` : `fails: ${t.reason ?? ''}`}`);
          },
        });
        const best = atMin.get(found.minKiB);
        minMem = {
          schema: 2,
          kind: 'min-mem',
          key: record.key,
          limit,
          ...(limit === 'kernel' ? { machineKiB } : {}),
          root: rootInfo,
          qemu: { version },
          minKiB: found.minKiB,
          failsKiB: found.failsKiB,
          stepKiB: found.stepKiB,
          ...(best ? { atMin: { ...(best.memTotalKiB !== undefined ? { memTotalKiB: best.memTotalKiB } : {}), ...(best.memFreeKiB !== undefined ? { memFreeKiB: best.memFreeKiB } : {}) } } : {}),
          tries: found.tries,
          at: new Date().toISOString(),
        };
        await saveMinMem(p.setup.records, minMem);
      }

      if (format === 'json') {
        const { console: consoleTail, ...boot } = first;
        writeOut(
          JSON.stringify(
            {
              config: p.config.name,
              toggle: record.toggle.name,
              baseVersion: record.baseVersion ?? p.base.version,
              key: record.key,
              image: imageInfo,
              root: rootInfo,
              init: { sha256: init.sha256, bytes: init.bytes.length, compiler: init.compiler },
              boot: { ...boot, ...(first.booted ? {} : { console: consoleTail }) },
              ...(minMem ? { minMem } : {}),
            },
            null,
            2,
          ),
        );
      } else {
        const lines = [header];
        if (first.booted) {
          lines.push(`${memLabel(memKiB)}: booted to init in ${secs(first.toInitMs)} (guest uptime ${first.uptimeAtInit?.toFixed(2) ?? '?'} s), qemu exited after ${secs(first.totalMs)}`);
          lines.push(`  MemTotal  ${kb(first.memTotalKiB).padStart(10)}`, `  MemFree   ${kb(first.memFreeKiB).padStart(10)}`);
        } else {
          lines.push(`${memLabel(memKiB)}: boot FAILED (${first.failure}): ${first.reason}`);
        }
        if (minMem) {
          lines.push(
            `minimum memory: ${memLabel(minMem.minKiB)} (${minMem.minKiB.toLocaleString('en-US')} KiB) boots to init, ${memLabel(minMem.failsKiB)} does not (${minMem.tries.length} boots, ${minMem.stepKiB} KiB steps)`,
            `  at the minimum: MemTotal ${kb(minMem.atMin?.memTotalKiB)}, MemFree ${kb(minMem.atMin?.memFreeKiB)}`,
          );
        }
        writeOut(lines.join('\n'));
      }
      if (!first.booted) {
        err(`tiny: ${p.config.name} ${record.toggle.name} did not boot with ${memLabel(memKiB)}: ${first.reason}`);
        err(`tiny: last console lines:`);
        for (const l of first.console.slice(-25)) err(`  | ${l}`);
        setExit(command, EXIT.checkFailed);
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
}
