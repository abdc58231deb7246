// The patch queue as plain data, after loading and validation (see schema/queue.schema.json).

import type { ParsedPatch } from '../patch/types.js';
import type { Diagnostic } from '../util/diagnostics.js';

/** Where a base tree's content can come from. Exactly one of the kinds is set. */
export type SourceSpec =
  | { kind: 'dir'; path: string }
  | { kind: 'tarball'; path: string; sha256?: string }
  | { kind: 'url'; url: string; sha256?: string }
  | { kind: 'git'; repo: string; ref: string }
  | { kind: 'debian'; package: string }; // e.g. linux-source-6.1 (tarball under /usr/src)

export interface BaseSpec {
  /** Kernel version, e.g. "2.6.9". */
  version: string;
  /** git tree hash that pins the content whatever the source. */
  tree?: string;
  /** Release date (ISO 8601): the pinned build timestamp of kernels built on this base. */
  date?: string;
  sources: SourceSpec[];
}

/** A guard as in quilt's guards(1) / Mercurial MQ: +sym, -sym, +!sym, -!sym. */
export interface Guard {
  include: boolean; // '+' or '-'
  negate: boolean; // '!'
  symbol: string;
}

export interface QueuePatch {
  name: string;
  /** Path of the patch file, relative to the queue directory. */
  file: string;
  /** Absolute path of the patch file. */
  path: string;
  summary?: string;
  author?: string;
  /** The Kconfig symbol this patch introduces (without CONFIG_), if any. */
  option?: string;
  guards: Guard[];
  depends: string[];
  /** Base versions this patch is meant for; empty = every base of the queue. */
  bases: string[];
  strip: number;
  /** Apply in reverse (quilt series "-R"). */
  reverse: boolean;
  /**
   * The patch file's bytes as a byte string (src/util/bytes.ts: one character per byte, never
   * decoded) and their sha256 (the patch's identity in caches and records).
   */
  text: string;
  sha256: string;
  parsed: ParsedPatch;
  /** Where the entry starts in queue.yaml (for diagnostics about it). */
  line: number;
}

export interface Queue {
  /** Directory holding queue.yaml. */
  dir: string;
  file: string;
  name: string;
  base: BaseSpec;
  /** Further bases the queue claims to apply to (base is the first of `allBases`). */
  otherBases: BaseSpec[];
  series: QueuePatch[];
  /** Problems that do not stop the queue from loading (e.g. a base still to be filled in). */
  warnings?: Diagnostic[];
}
