// `tiny boot`'s work: the configuration's kernel (from the record store; built through the
// matrix when it is not there) booted under qemu with the boot probe as its root (an
// initramfs, or an ext2 disk on hda); MemTotal, MemFree and the boot time kept with the build
// record; on request, a bisection of the smallest memory (-m, or the kernel's mem=) that still
// reaches init. The CLI parses the options and renders the outcome (src/cli/boot.ts).

import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadBuildConfig } from '../kbuild/buildconfig.js';
import { displayOrder } from '../matrix/plan.js';
import { MatrixRunner } from '../matrix/run.js';
import { prepareMatrix, type PrepareOptions, type Prepared } from '../matrix/setup.js';
import { corruptRecordError, inspectRecord, readArtifact, withBuildLock, type BuildRecord } from '../store/index.js';
import { findArch } from '../toolchain/arch.js';
import { TinyError } from '../util/diagnostics.js';
import { sha256 } from '../util/fs.js';
import { judgeConsole, lastLines, MARKERS } from './console.js';
import { buildInit, buildInitramfs, buildRootDisk, defaultRoot, missingBootOptions, type RootKind } from './init.js';
import { findMinMem, type MinMemTry } from './minmem.js';
import { exerciseHttp, freeLoopbackPort, httpFailureFromConsole, HTTP_MARKERS, type HttpResult } from './http.js';
import { GUEST_ADDRESS, memArg, nicFor, qemuArgs, qemuBinary, qemuOf, qemuVersion, runQemu } from './qemu.js';
import { KMALLOC_OPTION, parseKmallocCensus, resolveCallers } from './kmalloc.js';
import { BOOT_RESULT_SCHEMA, bootResultToJson, minMemToJson, saveBootResult, saveKmalloc, saveMinMem, type BootResult, type MemLimit, type MinMemRecord, type RootImageInfo } from './results.js';
import { bootScratch } from './scratch.js';

/**
 * The search's step: qemu's PC machine rounds -m up to a multiple of 8 KiB (QEMU_ALIGN_UP(size,
 * 8192) in vl.c); the kernel's mem= counts 4 KiB pages.
 */
export const MEM_STEP_KIB: Record<MemLimit, number> = { machine: 8, kernel: 4 };
/** An i386 bzImage is loaded at 1 MiB: it cannot boot with 1 MiB or less, so the search never tries it. */
export const MEM_FLOOR_KIB = 1024;

/** What to boot: the matrix's own options (configuration, queue, cache, tree, base, runtime) and the boot's. */
export interface BootRequest extends Pick<PrepareOptions, 'root' | 'config' | 'queueDir' | 'cacheDir' | 'tree' | 'allowOtherBase' | 'base' | 'runtime' | 'jobs'> {
  /** Default: queue, else base. */
  toggle?: string;
  /** The memory under test: qemu -m, or mem= when limit is kernel. */
  memKiB: number;
  limit: MemLimit;
  /** qemu -m when limit is kernel. */
  machineKiB: number;
  rootFs: 'auto' | RootKind;
  findMinMem: boolean;
  /**
   * The web server test: a NIC on the machine, the probe serves HTTP on it, the host fetches
   * the page; a boot that does not serve it fails (and the search looks for the smallest
   * memory that still serves).
   */
  http?: boolean;
  /**
   * The allocation census: the toggle built with KMALLOC_ACCOUNTING=y (the kmalloc-accounting
   * patch), booted, /proc/kmalloc read by the probe and its callers resolved with System.map;
   * kept with that kernel's boot and, as boot/kmalloc.json, with the toggle's own record.
   */
  kmalloc?: boolean;
  timeoutMs: number;
  /** Progress lines (builds, image builds). */
  onLog?: (line: string) => void;
  /** The first boot is about to start. */
  onBooting?: (what: { config: string; toggle: string; qemuVersion: string }) => void;
  /** One boot of the minimum-memory search is done. */
  onTry?: (t: MinMemTry, result: BootResult | undefined) => void;
}

export interface BootOutcome {
  config: string;
  toggle: string;
  baseVersion: string;
  key: string;
  image: { name: string; sha256: string; bytes: number };
  root: RootImageInfo;
  init: { sha256: string; bytes: number; compiler: string };
  /** The boot at memKiB. */
  first: BootResult;
  minMem?: MinMemRecord;
  /** --kmalloc: the record of the toggle without accounting that got boot/kmalloc.json. */
  censusKeptWith?: string;
}

function initramfsUnderMemLimit(memKiB: number): TinyError {
  return new TinyError(
    `--limit kernel needs --root disk: qemu puts the initramfs at the top of the machine's memory, above mem=${memArg(memKiB)}, and the kernel drops it`,
    2,
    [],
    `tiny boot --root disk (the kernel needs BLK_DEV_IDEDISK and EXT2_FS), or --limit machine`,
  );
}

/** What a request cannot mean, as bad input (exit 2), before anything is built or booted. */
export function checkBootRequest(r: Pick<BootRequest, 'memKiB' | 'limit' | 'machineKiB' | 'rootFs' | 'findMinMem'>): void {
  if (r.limit === 'kernel' && r.memKiB > r.machineKiB)
    throw new TinyError(`--mem ${memArg(r.memKiB)} is more than the machine's --machine-mem ${memArg(r.machineKiB)}: mem= can only take memory away`, 2);
  if (r.limit === 'kernel' && r.rootFs === 'initramfs') throw initramfsUnderMemLimit(r.memKiB);
  const step = MEM_STEP_KIB[r.limit];
  if (r.findMinMem && (r.memKiB <= MEM_FLOOR_KIB || r.memKiB % step !== 0)) throw new TinyError(`--mem must be a multiple of ${step}K above 1M for --find-min-mem`, 2);
}

/** "-m 16M" or "mem=2M": how a memory size of a boot is shown. */
export function memLabel(limit: MemLimit, kib: number): string {
  return limit === 'kernel' ? `mem=${memArg(kib)}` : `-m ${memArg(kib)}`;
}

export async function bootConfiguration(o: BootRequest): Promise<BootOutcome> {
  checkBootRequest(o);
  const log = o.onLog ?? (() => {});
  const cache = o.cacheDir;

  // qemu first: no point building a kernel that cannot be booted here.
  const config = await loadBuildConfig(o.root, o.config);
  const qemu = qemuBinary(config.arch);
  const version = await qemuVersion(qemu);

  // The kernel: the toggle's record. The matrix is prepared once; a stored record is used
  // without the cache's build lock (a matrix may be building in this cache meanwhile), a
  // missing one is built under the lock.
  const matrixOptions = (extraFragment?: PrepareOptions['extraFragment']): PrepareOptions => ({
    root: o.root,
    config: o.config,
    queueDir: o.queueDir,
    cacheDir: cache,
    ...(o.tree ? { tree: o.tree } : {}),
    ...(o.allowOtherBase ? { allowOtherBase: true } : {}),
    ...(o.base ? { base: o.base } : {}),
    ...(o.runtime ? { runtime: o.runtime } : {}),
    ...(o.jobs ? { jobs: o.jobs } : {}),
    ...(extraFragment ? { extraFragment } : {}),
  });
  const prepared = await prepareMatrix({ ...matrixOptions(o.kmalloc ? { [KMALLOC_OPTION]: 'y' } : undefined), onLog: log });
  const names = displayOrder(prepared.plan.toggles).map((t) => t.name);
  const want = o.toggle ?? (names.includes('queue') ? 'queue' : 'base');
  const toggle = prepared.plan.toggles.find((t) => t.name === want);
  if (!toggle) throw new TinyError(`--toggle: no toggle ${want} in ${prepared.config.name}`, 2, [], `toggles of this configuration: ${names.join(', ')}`);
  const runner = new MatrixRunner(prepared.setup, prepared.plan, {
    onEvent: (e) => {
      if (e.state === 'building') log(`building ${toggle.name} of ${prepared.config.name} (make -j${prepared.setup.jobs}; log: ${join(cache, 'logs', prepared.config.name)})`);
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
          if (r.status === 'built') log(`built ${toggle.name} in ${((r.durationMs ?? 0) / 1000).toFixed(1)} s`);
          return { p, record };
        },
        { onWait: (pid) => log(`another tiny build${pid ? ` (process ${pid})` : ''} is using the cache ${cache}: waiting for it to finish...`) },
      );

  // Named as asked: a record made for another toggle with the same .config (or, with --kmalloc,
  // the flip that turns accounting on) is this toggle's kernel too.
  const outcome = { ...(await bootRecord({ ...o, prepared: p, record, arch: config.arch, qemu, qemuVersion: version })), toggle: toggle.name };
  if (o.kmalloc && outcome.first.booted && !outcome.first.kmalloc) {
    throw new TinyError(
      `${prepared.config.name} ${toggle.name} with ${KMALLOC_OPTION}=y booted but printed no complete /proc/kmalloc`,
      1,
      [],
      `the toggle needs the kmalloc-accounting patch of the queue; the console ends: ${outcome.first.console.slice(-3).join(' | ')}`,
    );
  }
  if (o.kmalloc && outcome.first.kmalloc) {
    // The census belongs to the toggle as it is built without accounting too: kept in its
    // record when that is in the store (tiny report reads it from there).
    const plain = await prepareMatrix(matrixOptions());
    const plainToggle = plain.plan.toggles.find((t) => t.name === toggle.name);
    const own = plainToggle ? await new MatrixRunner(plain.setup, plain.plan, {}).storedRecord(plainToggle).catch(() => undefined) : undefined;
    if (own) {
      await saveKmalloc(plain.setup.records, {
        schema: BOOT_RESULT_SCHEMA,
        kind: 'kmalloc',
        key: own.key,
        variantKey: record.key,
        toggle: toggle.name,
        memKiB: outcome.first.memKiB,
        limit: outcome.first.limit,
        http: outcome.first.http?.served === true,
        census: outcome.first.kmalloc,
        at: new Date().toISOString(),
      });
      outcome.censusKeptWith = own.key;
    } else log(`the census is kept with the accounting kernel's record only: ${toggle.name} of ${prepared.config.name} without accounting is not in the store (tiny build --only ${toggle.name})`);
  }
  return outcome;
}

/** One record's kernel booted: what bootConfiguration does once it has the record (tiny build --boot calls it per toggle). */
export interface RecordBootRequest
  extends Pick<BootRequest, 'memKiB' | 'limit' | 'machineKiB' | 'rootFs' | 'findMinMem' | 'http' | 'kmalloc' | 'timeoutMs' | 'onLog' | 'onBooting' | 'onTry' | 'cacheDir'> {
  prepared: Prepared;
  record: BuildRecord;
  arch: string;
  qemu: string;
  qemuVersion: string;
}

export async function bootRecord(o: RecordBootRequest): Promise<BootOutcome> {
  checkBootRequest(o);
  const log = o.onLog ?? (() => {});
  const { limit, memKiB, machineKiB, record, qemu } = o;
  const p = o.prepared;
  const cache = o.cacheDir;
  const arch = o.arch;
  const version = o.qemuVersion;
  const image = await readArtifact(p.setup.records, record, 'image');
  if (!image || !record.imageName) {
    const target = findArch(arch)?.bootImage?.target ?? 'the boot image';
    throw new TinyError(`record ${record.key.slice(0, 12)} holds no boot image (targets: ${record.inputs.targets.join(', ')})`, 1, [], `add ${target} to the configuration's targets`);
  }
  const dotConfig = (await readArtifact(p.setup.records, record, 'config'))?.toString('utf8') ?? '';
  // mem= hides an initramfs (see above): auto picks the disk under --limit kernel.
  const rootKind: RootKind = o.rootFs === 'auto' ? (limit === 'kernel' ? 'disk' : defaultRoot(dotConfig)) : o.rootFs;
  const missing = missingBootOptions(dotConfig, rootKind);
  if (missing.length) {
    throw new TinyError(
      `${p.config.name} ${record.toggle.name} cannot run the boot probe from ${rootKind === 'disk' ? 'a disk' : 'an initramfs'}: its .config lacks ${missing.map((m) => `CONFIG_${m.symbol}`).join(', ')}`,
      1,
      [],
      `add to the fragment of ${p.config.displayFile}: ${missing.map((m) => `${m.symbol}: y (${m.why})`).join('; ')}`,
    );
  }
  const systemMap = o.kmalloc ? (await readArtifact(p.setup.records, record, 'System.map'))?.toString('latin1') : undefined;
  const nic = o.http ? httpNic(arch, dotConfig, `${p.config.name} ${record.toggle.name}`, p.config.displayFile) : undefined;
  const init = await buildInit({ cacheDir: cache, runtime: p.runtime, image: p.setup.image.id, crossCompile: p.toolchain.crossCompile[arch] ?? '', onLog: log });
  const rootImage = rootKind === 'disk' ? buildRootDisk(init.bytes) : buildInitramfs(init.bytes);
  const rootInfo: RootImageInfo = { kind: rootKind, sha256: sha256(rootImage), bytes: rootImage.length };
  const rootName = rootKind === 'disk' ? 'root.ext2' : 'initramfs.cpio';
  const imageName = record.imageName;
  const imageInfo = { name: imageName, sha256: sha256(image), bytes: image.length };

  const work = await bootScratch(join(cache, 'boot', 'tmp'), record.key.slice(0, 16));
  const kernelFile = join(work, imageName);
  const rootFile = join(work, rootName);
  await writeFile(kernelFile, image);
  await writeFile(rootFile, rootImage);

  let firstOutputMs: number | undefined;
  const bootAt = async (kib: number, timeoutMs: number, silentMs?: number): Promise<BootResult> => {
    const machine = limit === 'kernel' ? machineKiB : kib;
    const hostPort = nic ? await freeLoopbackPort() : 0;
    const args = qemuArgs({
      arch: arch,
      kernel: kernelFile,
      root: { kind: rootKind, file: rootFile },
      memKiB: machine,
      ...(limit === 'kernel' ? { kernelMemKiB: kib } : {}),
      ...(nic ? { net: { device: nic.device, hostPort } } : {}),
      ...(o.kmalloc ? { append: ['tiny.kmalloc=1'] } : {}),
    });
    // With --http the host fetches the page as soon as the probe says it listens; a page that
    // cannot be fetched stops qemu at once (it would otherwise serve nobody until the timeout).
    const stop = new AbortController();
    let serving: Promise<HttpResult> | undefined;
    const onLine = nic
      ? (line: string) => {
          if (serving || !line.startsWith(HTTP_MARKERS.listening)) return;
          serving = exerciseHttp({ port: hostPort, nic, timeoutMs: Math.min(timeoutMs, HTTP_GET_TIMEOUT_MS) }).then((h) => {
            if (!h.served) stop.abort();
            return h;
          });
        }
      : undefined;
    const run = await runQemu(qemu, args, { timeoutMs, mark: MARKERS.started, ...(silentMs ? { silentMs } : {}), ...(onLine ? { onLine, stop: stop.signal } : {}) });
    firstOutputMs ??= run.firstOutputMs;
    const v = judgeConsole(run.console, run, { memLimitedByKernel: limit === 'kernel' });
    const census = o.kmalloc ? parseKmallocCensus(run.console) : undefined;
    const http: HttpResult | undefined = nic
      ? ((await serving) ?? {
          served: false,
          reason: v.booted ? (httpFailureFromConsole(run.console) ?? 'the probe stopped before it listened') : `the kernel did not reach init: ${v.reason}`,
          nic,
          guestAddress: GUEST_ADDRESS,
          requests: 0,
          roundTripsMs: [],
        })
      : undefined;
    const result: BootResult = {
      schema: BOOT_RESULT_SCHEMA,
      kind: 'boot',
      key: record.key,
      memKiB: kib,
      limit,
      machineKiB: machine,
      root: rootInfo,
      image: imageInfo,
      // The temp paths mean nothing later: the record names the kernel, the hash the root image.
      qemu: { version, argv: [qemu, ...args].map((a) => a.replace(kernelFile, imageName).replace(rootFile, rootName)) },
      booted: v.booted,
      ...(v.failure ? { failure: v.failure } : {}),
      ...(v.reason ? { reason: v.reason } : {}),
      ...(v.meminfo ? { memTotalKiB: v.meminfo.MemTotal, memFreeKiB: v.meminfo.MemFree } : {}),
      ...(v.reservedKiB !== undefined
        ? { reservedKiB: v.reservedKiB, reservedFrom: 'console' as const }
        : v.meminfo?.MemTotal !== undefined
          ? { reservedKiB: kib - v.meminfo.MemTotal, reservedFrom: 'mem-total' as const }
          : {}),
      ...(run.markMs !== undefined ? { toInitMs: run.markMs } : {}),
      totalMs: run.durationMs,
      ...(v.uptimeAtInit !== undefined ? { uptimeAtInit: v.uptimeAtInit } : {}),
      ...(v.banner ? { banner: v.banner } : {}),
      ...(http ? { http } : {}),
      ...(census ? { kmalloc: systemMap ? resolveCallers(census, systemMap) : census } : {}),
      console: lastLines(run.console, v.booted && http?.served !== false ? 60 : 200),
      at: new Date().toISOString(),
    };
    if (!v.booted && run.stderr.trim())
      result.console.push(
        ...run.stderr
          .trim()
          .split('\n')
          .map((l) => `[qemu] ${l}`),
      );
    await saveBootResult(p.setup.records, result);
    return result;
  };

  try {
    o.onBooting?.({ config: p.config.name, toggle: record.toggle.name, qemuVersion: version });
    const first = await bootAt(memKiB, o.timeoutMs);
    let minMem: MinMemRecord | undefined;
    if (bootPassed(first) && o.findMinMem) {
      // A failing boot that hangs costs its whole timeout: allow 4x the good boot, at least 15 s;
      // one that stays silent (a kernel too big to decompress) 5x the good boot's first output, at
      // least 5 s — unless the good boot's first words were init's: a kernel without printk is
      // silent until init even when it boots, so its silence says nothing (a slow boot on a busy
      // machine would be cut and counted as a failure).
      const stepTimeout = Math.min(o.timeoutMs, Math.max(15_000, 4 * first.totalMs));
      const kernelSpeaks = !first.console.find((l) => l.trim() !== '')?.startsWith(MARKERS.started);
      const silentTimeout = firstOutputMs !== undefined && kernelSpeaks ? Math.max(5_000, 5 * firstOutputMs) : undefined;
      const atMin = new Map<number, BootResult>([[memKiB, first]]);
      const found = await findMinMem({
        highKiB: memKiB,
        lowKiB: MEM_FLOOR_KIB,
        stepKiB: MEM_STEP_KIB[limit],
        known: [{ kib: memKiB, booted: true }],
        boot: async (kib) => {
          const r = await bootAt(kib, stepTimeout, silentTimeout);
          atMin.set(kib, r);
          const reason = failureReason(r);
          return { booted: bootPassed(r), ...(reason ? { reason } : {}) };
        },
        onTry: (t) => o.onTry?.(t, atMin.get(t.kib)),
      });
      const best = atMin.get(found.minKiB);
      minMem = {
        schema: BOOT_RESULT_SCHEMA,
        kind: 'min-mem',
        key: record.key,
        limit,
        ...(limit === 'kernel' ? { machineKiB } : {}),
        root: rootInfo,
        qemu: { version },
        minKiB: found.minKiB,
        failsKiB: found.failsKiB,
        stepKiB: found.stepKiB,
        ...(nic ? { servesHttp: true } : {}),
        ...(best
          ? {
              atMin: {
                ...(best.memTotalKiB !== undefined ? { memTotalKiB: best.memTotalKiB } : {}),
                ...(best.memFreeKiB !== undefined ? { memFreeKiB: best.memFreeKiB } : {}),
                ...(best.http?.memFreeKiB !== undefined ? { httpMemFreeKiB: best.http.memFreeKiB } : {}),
              },
            }
          : {}),
        tries: found.tries,
        at: new Date().toISOString(),
      };
      await saveMinMem(p.setup.records, minMem);
    }
    return {
      config: p.config.name,
      toggle: record.toggle.name,
      baseVersion: record.baseVersion ?? p.base.version,
      key: record.key,
      image: imageInfo,
      root: rootInfo,
      init: { sha256: init.sha256, bytes: init.bytes.length, compiler: init.compiler },
      first,
      ...(minMem ? { minMem } : {}),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Per GET of the web server test: TCG is slow, but a page is a few KB. */
export const HTTP_GET_TIMEOUT_MS = 30_000;

/** A boot passed: it reached init, and served the page when it was asked to. */
export function bootPassed(r: BootResult): boolean {
  return r.booted && (r.http === undefined || r.http.served);
}

/** Why a boot did not pass (undefined: it did). */
export function failureReason(r: BootResult): string | undefined {
  if (!r.booted) return r.reason;
  if (r.http && !r.http.served) return `booted but did not serve HTTP: ${r.http.reason ?? '?'}`;
  return undefined;
}

/** The NIC qemu gives a kernel for --http, or bad configuration (exit 1) naming what to add. */
export function httpNic(arch: string, dotConfig: string, what: string, configFile: string): { kconfig: string; device: string } {
  const lacks = ['NET', 'INET'].filter((s) => !new RegExp(`^CONFIG_${s}=y$`, 'm').test(dotConfig));
  if (lacks.length)
    throw new TinyError(
      `${what} cannot serve HTTP: its .config lacks ${lacks.map((s) => `CONFIG_${s}`).join(', ')}`,
      1,
      [],
      `add to the fragment of ${configFile}: ${lacks.map((s) => `${s}: y`).join(', ')}`,
    );
  const nic = nicFor(arch, dotConfig);
  if (!nic) {
    const known = (qemuOf(arch).nics ?? []).map((n) => `${n.kconfig} (${n.device})`);
    throw new TinyError(
      `${what} cannot serve HTTP: it has none of the network drivers qemu emulates for ${arch} built in`,
      1,
      [],
      known.length ? `add one to the fragment of ${configFile}: ${known.join(', ')}` : `arches/${arch}.yaml lists no qemu nics`,
    );
  }
  return nic;
}

const kb = (n: number | undefined) => (n === undefined ? '?' : `${n.toLocaleString('en-US')} kB`);
const secs = (ms: number | undefined) => (ms === undefined ? '?' : `${(ms / 1000).toFixed(1)} s`);

/** The text `tiny boot` prints: the kernel and root, the boot, the minimum memory. */
export function renderBootText(b: BootOutcome): string {
  const { first, minMem } = b;
  const limit = first.limit;
  const lines = [
    `${b.config} ${b.toggle} ${b.baseVersion} (record ${b.key.slice(0, 12)}): ${b.image.name} ${b.image.bytes.toLocaleString('en-US')} bytes; ${b.root.kind === 'disk' ? 'root disk (ext2 on hda)' : 'initramfs'} ${b.root.bytes.toLocaleString('en-US')} bytes (sha256 ${b.root.sha256.slice(0, 12)})`,
  ];
  if (first.booted) {
    lines.push(`${memLabel(limit, first.memKiB)}: booted to init in ${secs(first.toInitMs)} (guest uptime ${first.uptimeAtInit?.toFixed(2) ?? '?'} s), qemu exited after ${secs(first.totalMs)}`);
    lines.push(`  MemTotal  ${kb(first.memTotalKiB).padStart(10)}`, `  MemFree   ${kb(first.memFreeKiB).padStart(10)}`);
  } else {
    lines.push(`${memLabel(limit, first.memKiB)}: boot FAILED (${first.failure}): ${first.reason}`);
  }
  const h = first.http;
  if (h?.served) {
    const rt = h.roundTripsMs;
    lines.push(
      `HTTP: ${h.requests} GETs answered over ${h.nic.device} (${h.nic.kconfig}) at ${h.guestAddress}:80; page ${h.pageBytes?.toLocaleString('en-US') ?? '?'} bytes; round trip ${rt.map((ms) => `${ms} ms`).join(', ')}`,
      `  MemFree while serving ${kb(h.memFreeKiB).padStart(10)}`,
    );
  } else if (h && first.booted) {
    lines.push(`HTTP: FAILED over ${h.nic.device} (${h.nic.kconfig}): ${h.reason}`);
  }
  if (b.censusKeptWith) lines.push(`  (kept with the record ${b.censusKeptWith.slice(0, 12)} of ${b.toggle} without accounting: boot/kmalloc.json)`);
  if (minMem) {
    const reaches = minMem.servesHttp ? 'serves HTTP' : 'boots to init';
    lines.push(
      `minimum memory: ${memLabel(limit, minMem.minKiB)} (${minMem.minKiB.toLocaleString('en-US')} KiB) ${reaches}, ${memLabel(limit, minMem.failsKiB)} does not (${minMem.tries.length} boots, ${minMem.stepKiB} KiB steps)`,
      `  at the minimum: MemTotal ${kb(minMem.atMin?.memTotalKiB)}, MemFree ${kb(minMem.atMin?.memFreeKiB)}${minMem.atMin?.httpMemFreeKiB !== undefined ? ` (${kb(minMem.atMin.httpMemFreeKiB)} while serving)` : ''}`,
    );
  }
  return lines.join('\n');
}

/** One boot of the minimum-memory search, as `tiny boot` reports it while searching. */
export function renderTry(limit: MemLimit, t: MinMemTry, r: BootResult | undefined): string {
  const ok = r?.http ? `serves (MemFree ${kb(r.http.memFreeKiB)} while serving)` : `boots (MemFree ${kb(r?.memFreeKiB)})`;
  return `${memLabel(limit, t.kib)}: ${t.booted ? ok : `fails: ${t.reason ?? ''}`}`;
}

/** The version of `tiny boot --format json` (schema/output/boot.schema.json); 2: `boot.http`, `min_mem.serves_http`. */
export const BOOT_OUTPUT_VERSION = 2;

/**
 * `tiny boot --format json`: the kernel, the root, the boot probe, the boot (as its file in the
 * record directory holds it; the console only when it failed) and the minimum-memory search.
 */
export function bootJson(b: BootOutcome): Record<string, unknown> {
  const { schema_version: _v, console: consoleTail, ...boot } = bootResultToJson(b.first);
  const minMem = b.minMem ? (({ schema_version: _m, ...rest }) => rest)(minMemToJson(b.minMem)) : null;
  return {
    schema_version: BOOT_OUTPUT_VERSION,
    config: b.config,
    toggle: b.toggle,
    base_version: b.baseVersion,
    key: b.key,
    image: { name: b.image.name, sha256: b.image.sha256, bytes: b.image.bytes },
    root: { kind: b.root.kind, sha256: b.root.sha256, bytes: b.root.bytes },
    init: { sha256: b.init.sha256, bytes: b.init.bytes, compiler: b.init.compiler },
    boot: { ...boot, ...(bootPassed(b.first) ? {} : { console: consoleTail }) },
    min_mem: minMem,
  };
}
