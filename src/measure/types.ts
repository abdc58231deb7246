// What measuring a built kernel produces: plain data, JSON-serialisable.

/** One row of size(1)'s Berkeley output, named exactly as size prints its columns. */
export interface BerkeleySize {
  text: number;
  data: number;
  bss: number;
  /** text + data + bss, as size prints it. */
  dec: number;
}

/** The size of one top-level directory's built-in objects. */
export interface DirSize extends BerkeleySize {
  /** Top-level directory relative to the build dir: `init`, `drivers`, `arch` ... */
  dir: string;
  /**
   * Objects linked into the directory's built-ins: the members of built-in.a archives (one
   * size(1) line each), or for 2.6's `ld -r` built-in.o the .o files named by its
   * `.built-in.o.cmd` (recursively). Absent when it cannot be known (no .cmd file).
   */
  objects?: number;
  /** The built-in files summed, relative to the build dir (arch/i386/kernel/built-in.o ...). */
  builtins: string[];
}

/** An artifact of the build, as found in the build dir. */
export interface ArtifactFile {
  /** Relative to the build dir, e.g. `arch/i386/boot/bzImage`. */
  path: string;
  bytes: number;
}

/** One sized symbol of `nm --size-sort -S`. */
export interface SymbolEntry {
  name: string;
  /** nm's one-letter type: T t D d B b R r W V ... */
  type: string;
  size: number;
}

export interface Measurement {
  /** `size vmlinux`. */
  size: BerkeleySize;
  /** File sizes keyed by artifact name: vmlinux, bzImage (or zImage, Image ...), System.map, .config. */
  files: Record<string, ArtifactFile>;
  /** sha256 (hex) keyed like `files`. */
  sha256: Record<string, string>;
  /** Per top-level directory, sorted by dir. */
  dirs: DirSize[];
  /**
   * One level down (net/ipv4, drivers/ide, fs/ext2 ...; for a top-level directory without its
   * own built-in, such as 2.6's arch, the built-ins found below it: arch/i386/kernel ...), sorted
   * by dir. What a top-level directory links from its own files is its size minus these.
   * Absent in records made before tiny measured it.
   */
  subdirs?: DirSize[];
  /** Sized symbols of vmlinux in nm --size-sort order (the caller stores them in their own file). */
  symbols: SymbolEntry[];
  /** The size and nm programs used. */
  tools: MeasureTools;
}

export interface MeasureTools {
  size: string;
  nm: string;
}

/** The first error of a build log, what a failed toggle shows the user. */
export interface FirstError {
  /** Source/object file, the Makefile for make errors, or the tool name when there is no file. */
  file: string;
  line?: number;
  column?: number;
  message: string;
  kind: 'compiler' | 'assembler' | 'linker' | 'modpost' | 'make';
  /** 1-based line of the error in the log. */
  logLine: number;
  /** The error line with the lines around it that belong to it (include chain, "In function", source excerpt, notes). */
  context: string[];
}

export interface DiagnosticCounts {
  warnings: number;
  /**
   * Compiler, assembler, linker and modpost errors plus make errors that are not just a failing
   * recipe ("No rule to make target" ...). A failure that make reports with no such error before
   * it (a script that exited 1) counts as one error.
   */
  errors: number;
  /** make's `*** [...] Error N` lines (each recursion level of one failure prints one). */
  makeErrors: number;
  firstError?: FirstError;
}
