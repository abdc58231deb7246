// tiny boot: a built kernel under qemu with a tiny root (src/boot/init.c in an initramfs or on
// an ext2 disk), its memory at boot, and the smallest memory it boots with.

export { writeCpio, readCpio, type CpioEntry } from './cpio.js';
export { writeExt2 } from './ext2.js';
export { buildInit, buildInitramfs, initramfsEntries, buildRootDisk, rootDiskEntries, defaultRoot, missingBootOptions, type RootKind, INIT_CFLAGS, INIT_SOURCE, type InitBinary } from './init.js';
export { parseMeminfo, judgeConsole, consoleLines, lastLines, MARKERS, type ConsoleVerdict, type BootFailure } from './console.js';
export { qemuArgs, IDE_DISK_ROOT, qemuBinary, memArg, runQemu, qemuVersion, qemuMissing, type QemuSpec, type QemuRun } from './qemu.js';
export { findMinMem, parseMem, type MinMemOptions, type MinMemResult, type MinMemTry } from './minmem.js';
export {
  saveBootResult,
  saveMinMem,
  readBootResults,
  bootResultToJson,
  minMemToJson,
  bootFileFromJson,
  BOOT_RESULT_SCHEMA,
  bootResultFile,
  minMemFile,
  type BootResult,
  type MinMemRecord,
  type MemLimit,
  type RootImageInfo,
} from './results.js';
