// Running a kernel under qemu's PC machine in software emulation (TCG): the command line
// (pure) and the run (serial console on stdout, a timeout, timestamps of the lines). The qemu
// binary, machine and console of each ARCH come from arches/<ARCH>.yaml.

import { loadArch, loadArches, type Arch } from '../toolchain/arch.js';
import { TinyError } from '../util/diagnostics.js';
import { CommandNotFound, run, start, type ChildExit } from '../util/exec.js';
import type { RootKind } from './init.js';

export interface QemuSpec {
  arch: string;
  kernel: string;
  /** The root file system: an initramfs for -initrd, or an ext2 image for the first IDE disk (root=/dev/hda). */
  root: { kind: RootKind; file: string };
  /** The machine's memory (-m). */
  memKiB: number;
  /** The kernel's memory (mem=), below the machine's: the 2004 "boots with mem=2M". */
  kernelMemKiB?: number;
  /** Extra kernel command line words. */
  append?: string[];
  /**
   * A network card (`tiny boot --http`): the qemu device on user networking with the guest's
   * port 80 forwarded from 127.0.0.1:hostPort (restrict=on: the guest reaches nothing else).
   */
  net?: { device: string; hostPort: number };
}

/** The address qemu's user networking expects its guest to take (its DHCP would hand out this one). */
export const GUEST_ADDRESS = '10.0.2.15';

/** /dev/hda as a number (major 3, minor 0, in hex): a 2.6.9 kernel without sysfs cannot resolve the name "hda". */
export const IDE_DISK_ROOT = '0300';

/** How qemu runs a kernel ARCH (its qemu: entry); an ARCH without one cannot be booted. */
export function qemuOf(arch: string): NonNullable<Arch['qemu']> {
  const facts = loadArch(arch);
  if (facts.qemu) return facts.qemu;
  const bootable = loadArches()
    .filter((a) => a.qemu)
    .map((a) => a.name);
  throw new TinyError(`tiny boot runs ${bootable.join(' and ')} kernels (the arches with a qemu: entry), not ${arch}`, 2, [], `arches/${arch}.yaml has no qemu: entry`);
}

/** The qemu binary for a kernel ARCH. */
export function qemuBinary(arch: string): string {
  return qemuOf(arch).binary;
}

/**
 * The qemu network card for a kernel: the first of the arch's qemu nics whose driver the
 * .config builds in (=y: the boot has no modules); undefined when it has none of them.
 */
export function nicFor(arch: string, dotConfig: string): { kconfig: string; device: string } | undefined {
  return (qemuOf(arch).nics ?? []).find((n) => new RegExp(`^CONFIG_${n.kconfig}=y$`, 'm').test(dotConfig));
}

/** qemu's -m value: whole MiB as "16M", else KiB as "1544K". */
export function memArg(kib: number): string {
  return kib % 1024 === 0 ? `${kib / 1024}M` : `${kib}K`;
}

/**
 * Serial console on stdout and nothing else (-nodefaults: no VGA, no NIC, no CD-ROM;
 * -display none, -monitor none), no network, TCG (the same on every host, no /dev/kvm), and
 * -no-reboot so the guest's restart ends qemu. With `net`, one card on user networking whose
 * only way in is the guest's port 80 forwarded from a loopback port of the host. panic=1 turns a kernel panic into a restart
 * one second later, so a panicking kernel ends the run too instead of waiting for the timeout.
 * A disk root is mounted read-only and attached with snapshot=on: the image file is never written.
 */
export function qemuArgs(s: QemuSpec): string[] {
  const root =
    s.root.kind === 'initramfs'
      ? { args: ['-initrd', s.root.file], append: [] }
      : { args: ['-drive', `file=${s.root.file},format=raw,if=ide,index=0,media=disk,snapshot=on`], append: [`root=${IDE_DISK_ROOT}`, 'rootfstype=ext2', 'ro'] };
  const qemu = qemuOf(s.arch);
  const net = s.net
    ? { args: ['-netdev', `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${s.net.hostPort}-:80`, '-device', `${s.net.device},netdev=n0`], append: [`tiny.http=${GUEST_ADDRESS}`] }
    : { args: ['-nic', 'none'], append: [] };
  return [
    '-machine',
    qemu.machine,
    '-accel',
    'tcg',
    '-m',
    memArg(s.memKiB),
    '-kernel',
    s.kernel,
    ...root.args,
    '-append',
    [`console=${qemu.console}`, 'panic=1', ...root.append, ...(s.kernelMemKiB !== undefined ? [`mem=${memArg(s.kernelMemKiB)}`] : []), ...net.append, ...(s.append ?? [])].join(' '),
    '-nodefaults',
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    'stdio',
    ...net.args,
    '-no-reboot',
  ];
}

export interface QemuRun {
  argv: string[];
  /** Console output (qemu's own stderr is kept apart). */
  console: string;
  stderr: string;
  code: number | null;
  timedOut: boolean;
  durationMs: number;
  /** Milliseconds from the start of qemu to the first console line containing `mark`. */
  markMs?: number;
  /** Milliseconds from the start of qemu to its first console output. */
  firstOutputMs?: number;
}

/**
 * Run qemu, kill it after timeoutMs (or after silentMs without any console output: a kernel
 * that cannot even be decompressed never says a word, or when `stop` is aborted); note when
 * the console first shows `mark`.
 */
export async function runQemu(binary: string, args: string[], o: { timeoutMs: number; silentMs?: number; mark?: string; onLine?: (line: string) => void; stop?: AbortSignal }): Promise<QemuRun> {
  const t0 = Date.now();
  let out = '';
  let err = '';
  let pending = '';
  let markMs: number | undefined;
  let firstOutputMs: number | undefined;
  let silentKill = false;
  let silent: NodeJS.Timeout | undefined;
  const child = start(binary, args, {
    // The console is bytes: latin1 keeps each byte one character whatever the kernel prints.
    onStdout: (b) => {
      const s = b.toString('latin1');
      if (firstOutputMs === undefined) {
        firstOutputMs = Date.now() - t0;
        clearTimeout(silent);
      }
      out += s;
      if (o.mark && markMs === undefined && out.includes(o.mark)) markMs = Date.now() - t0;
      if (o.onLine) {
        pending += s.replace(/\r/g, '');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const l of lines) o.onLine(l);
      }
    },
    onStderr: (b) => (err += b.toString()),
    timeoutMs: o.timeoutMs,
    killSignal: 'SIGKILL',
  });
  if (o.silentMs !== undefined && o.silentMs < o.timeoutMs) {
    silent = setTimeout(() => {
      silentKill = true;
      child.kill('SIGKILL');
    }, o.silentMs);
  }
  // Stopped by the caller (the page was not served: no point waiting for the timeout).
  const stop = () => child.kill('SIGKILL');
  if (o.stop?.aborted) stop();
  else o.stop?.addEventListener('abort', stop, { once: true });
  let exit: ChildExit;
  try {
    exit = await child.exit;
  } catch (e) {
    throw e instanceof CommandNotFound ? qemuMissing(binary) : e;
  } finally {
    clearTimeout(silent);
    o.stop?.removeEventListener('abort', stop);
  }
  if (o.onLine && pending) o.onLine(pending);
  return {
    argv: [binary, ...args],
    console: out,
    stderr: err,
    code: exit.code,
    timedOut: exit.timedOut || silentKill,
    durationMs: Date.now() - t0,
    ...(markMs !== undefined ? { markMs } : {}),
    ...(firstOutputMs !== undefined ? { firstOutputMs } : {}),
  };
}

export function qemuMissing(binary: string): TinyError {
  const pkg = loadArches().find((a) => a.qemu?.binary === binary)?.qemu?.package;
  return new TinyError(`${binary} is not installed: tiny boot runs the kernel under it`, 1, [], pkg ? `sudo apt-get install -y ${pkg}` : `install ${binary}`);
}

/** qemu's version line, or a TinyError with the install command when it is missing. */
export async function qemuVersion(binary: string): Promise<string> {
  const r = await run(binary, ['--version'], { allowFail: true }).catch(() => undefined);
  if (r?.code !== 0) throw qemuMissing(binary);
  return r.stdout.split('\n')[0]!.trim();
}
