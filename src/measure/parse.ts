// Parsers for the text binutils prints: size(1) in Berkeley format and nm --size-sort.
// Pure functions over strings; measure.ts runs the programs.

import type { BerkeleySize, SymbolEntry } from './types.js';

/** One line of `size -B` output. */
export interface SizeRow extends BerkeleySize {
  /** The filename column as printed: `vmlinux`, or `main.o (ex init/built-in.a)` for an archive member. */
  filename: string;
  /** The member name when the line is an archive member. */
  member?: string;
  /** The archive when the line is an archive member. */
  archive?: string;
}

// "   text	   data	    bss	    dec	    hex	filename" then one line per file or archive member.
const ROW = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([0-9a-fA-F]+)\s+(.*?)\s*$/;
const MEMBER = /^(.*) \(ex (.*)\)$/;

/**
 * Parse size(1)'s Berkeley output (the default format; `size -B`, decimal radix). The header is
 * skipped; every other non-empty line must be a row. An empty archive prints nothing at all.
 */
export function parseBerkeley(out: string): SizeRow[] {
  const rows: SizeRow[] = [];
  for (const line of out.split('\n')) {
    if (!line.trim()) continue;
    if (/^\s*text\s+data\s+bss\s+dec\s+hex\s+filename\s*$/.test(line)) continue;
    const m = ROW.exec(line);
    if (!m) throw new Error(`unexpected size(1) output line: ${JSON.stringify(line)}`);
    const row: SizeRow = { text: Number(m[1]), data: Number(m[2]), bss: Number(m[3]), dec: Number(m[4]), filename: m[6]! };
    const mem = MEMBER.exec(row.filename);
    if (mem) {
      row.member = mem[1]!;
      row.archive = mem[2]!;
    }
    rows.push(row);
  }
  return rows;
}

/** Column-wise sum. */
export function sumSizes(rows: readonly BerkeleySize[]): BerkeleySize {
  const s: BerkeleySize = { text: 0, data: 0, bss: 0, dec: 0 };
  for (const r of rows) {
    s.text += r.text;
    s.data += r.data;
    s.bss += r.bss;
    s.dec += r.dec;
  }
  return s;
}

/**
 * Parse `nm --size-sort -S` (value size type name) or `nm --size-sort` (size type name) output.
 * Archive member headers (`foo.o:`) and blank lines are skipped; sizes are hex. Symbols keep
 * their names exactly (symbolDiff applies bloat-o-meter's filtering).
 */
export function parseNm(out: string): SymbolEntry[] {
  const syms: SymbolEntry[] = [];
  for (const line of out.split('\n')) {
    if (!line.trim() || /:\s*$/.test(line)) continue;
    const f = line.trim().split(/\s+/);
    let size: string | undefined;
    let type: string | undefined;
    let name: string | undefined;
    if (f.length === 4) [, size, type, name] = f;
    else if (f.length === 3) [size, type, name] = f;
    else continue; // a symbol without a size: not printed by --size-sort, but be lenient
    if (!/^[0-9a-fA-F]+$/.test(size!) || type!.length !== 1) throw new Error(`unexpected nm output line: ${JSON.stringify(line)}`);
    syms.push({ name: name!, type: type!, size: Number.parseInt(size!, 16) });
  }
  return syms;
}
