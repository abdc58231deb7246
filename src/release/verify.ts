// Comparing a release directory with a regenerated one, file by file and byte for byte, and
// saying what differs: the first differing byte (and line, for text), and for a compressed file
// whether its content differs or only the compressor's output (another xz or bzip2 version);
// inside the broken-out tarball, which entries differ.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256 } from '../util/fs.js';
import { compressionOf, compressorVersion, decompress } from './compress.js';
import { parseSums, SIGNATURE_FILE, SUMS_FILE } from './manifest.js';

export interface FileComparison {
  file: string;
  status: 'same' | 'differs' | 'missing' | 'extra';
  /** sha256 in the release and regenerated. */
  release?: string;
  regenerated?: string;
  /** What differs, for a file that differs. */
  detail?: string;
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

const isText = (b: Buffer) => !b.subarray(0, 8192).includes(0);

function clip(s: string): string {
  return JSON.stringify(s.length > 100 ? `${s.slice(0, 100)}...` : s);
}

/** "byte 1234 (line 56: "..." here, "..." regenerated)" */
export function describeDifference(a: Buffer, b: Buffer): string {
  const at = firstDifference(a, b);
  let text = `first difference at byte ${at}`;
  if (a.length !== b.length) text += ` (${a.length} bytes here, ${b.length} regenerated)`;
  if (isText(a) && isText(b)) {
    const line = a.subarray(0, at).toString('utf8').split('\n').length;
    const la = a.toString('utf8').split('\n')[line - 1] ?? '';
    const lb = b.toString('utf8').split('\n')[line - 1] ?? '';
    text += `; line ${line}: ${clip(la)} here, ${clip(lb)} regenerated`;
  }
  return text;
}

/** Entries of a tar archive (regular files and directories), name -> content. */
export function readTar(tar: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  let paxPath: string | undefined;
  while (pos + 512 <= tar.length) {
    const h = tar.subarray(pos, pos + 512);
    if (h.every((b) => b === 0)) break;
    const field = (o: number, n: number) =>
      h
        .subarray(o, o + n)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const prefix = field(345, 155);
    const name = paxPath ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    const data = tar.subarray(pos + 512, pos + 512 + size);
    pos += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      paxPath = /\d+ path=(.*)\n/.exec(data.toString('utf8'))?.[1];
      continue;
    }
    paxPath = undefined;
    out.set(name, type === '5' ? Buffer.alloc(0) : Buffer.from(data));
  }
  return out;
}

async function describeCompressed(file: string, a: Buffer, b: Buffer): Promise<string> {
  const kind = compressionOf(file)!;
  const [da, db] = await Promise.all([decompress(a, kind), decompress(b, kind)]);
  if (!da) return `not a valid ${kind} file here`;
  if (!db) return 'regenerated file does not decompress';
  if (da.equals(db)) return `compressed bytes differ but the content is identical (another compressor version? regenerated with ${await compressorVersion(kind)})`;
  if (file.endsWith('.tar.xz')) {
    const ta = readTar(da);
    const tb = readTar(db);
    const names = [...new Set([...ta.keys(), ...tb.keys()])].sort();
    const diffs: string[] = [];
    for (const n of names) {
      const x = ta.get(n);
      const y = tb.get(n);
      if (!x) diffs.push(`${n}: only regenerated`);
      else if (!y) diffs.push(`${n}: only here`);
      else if (!x.equals(y)) diffs.push(`${n}: ${describeDifference(x, y)}`);
    }
    if (!diffs.length) return 'tar entries hold the same files, but the archive differs (headers: modes, owners or times)';
    return `tar entries differ: ${diffs.join('; ')}`;
  }
  return `content differs: ${describeDifference(da, db)}`;
}

/** Compare the release directory with the regenerated files (the signature is left out: gpg checks it). */
export async function compareRelease(dir: string, regenerated: ReadonlyMap<string, Buffer>): Promise<FileComparison[]> {
  const present = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && e.name !== SIGNATURE_FILE).map((e) => e.name);
  const names = [...new Set([...present, ...regenerated.keys()])].sort();
  const out: FileComparison[] = [];
  for (const file of names) {
    const mine = present.includes(file) ? await readFile(join(dir, file)) : undefined;
    const theirs = regenerated.get(file);
    if (!mine) {
      out.push({ file, status: 'missing', regenerated: sha256(theirs!), detail: 'not in the release, but regenerated' });
      continue;
    }
    if (!theirs) {
      out.push({ file, status: 'extra', release: sha256(mine), detail: 'in the release, but not regenerated' });
      continue;
    }
    const c: FileComparison = { file, status: mine.equals(theirs) ? 'same' : 'differs', release: sha256(mine), regenerated: sha256(theirs) };
    if (c.status === 'differs') c.detail = compressionOf(file) ? await describeCompressed(file, mine, theirs) : describeDifference(mine, theirs);
    out.push(c);
  }
  return out;
}

/** Files whose sha256 is not the one SHA256SUMS (in `dir`) lists, and files it does not list. */
export async function checkSums(dir: string): Promise<{ ok: boolean; problems: string[]; listed: number }> {
  let text: string;
  try {
    text = await readFile(join(dir, SUMS_FILE), 'utf8');
  } catch {
    return { ok: false, problems: [`${SUMS_FILE} is missing`], listed: 0 };
  }
  const sums = parseSums(text);
  const problems: string[] = [];
  for (const [file, want] of sums) {
    const data = await readFile(join(dir, file)).catch(() => undefined);
    if (!data) problems.push(`${file}: listed in ${SUMS_FILE} but missing`);
    else if (sha256(data) !== want) problems.push(`${file}: sha256 ${sha256(data).slice(0, 16)}..., ${SUMS_FILE} says ${want.slice(0, 16)}...`);
  }
  const files = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  for (const f of files) if (f !== SUMS_FILE && f !== SIGNATURE_FILE && !sums.has(f)) problems.push(`${f}: not listed in ${SUMS_FILE}`);
  return { ok: problems.length === 0, problems, listed: sums.size };
}
