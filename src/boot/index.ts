// tiny boot: a built kernel under qemu with a tiny initramfs (src/boot/init.c), its memory at
// boot, and the smallest memory it boots with.

export { writeCpio, readCpio, type CpioEntry } from './cpio.js';
export { buildInit, buildInitramfs, initramfsEntries, missingBootOptions, INIT_CFLAGS, INIT_SOURCE, type InitBinary } from './init.js';
export { parseMeminfo, judgeConsole, consoleLines, lastLines, MARKERS, type ConsoleVerdict, type BootFailure } from './console.js';
export { qemuArgs, qemuBinary, memArg, runQemu, qemuVersion, qemuMissing, type QemuSpec, type QemuRun } from './qemu.js';
export { findMinMem, parseMem, type MinMemOptions, type MinMemResult, type MinMemTry } from './minmem.js';
export { saveBootResult, saveMinMem, readBootResults, bootResultFile, minMemFile, type BootResult, type MinMemRecord } from './results.js';
