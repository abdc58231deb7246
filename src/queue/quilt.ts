// quilt interop: read a quilt series (Debian's debian/patches, a SUSE series.conf with
// guards(1) guards) into a queue, and write a queue as a series quilt can push.
//
// A series line is `patch [-pN] [-R] [# comment]`. Guards come in two spellings: guards(1)'s
// leading tokens (`+xen -!x86 foo.patch`) and a trailing comment (`foo.patch #+xen -!x86`).
// quilt itself would take a leading guard for the patch name, so tiny writes the trailing
// form: quilt ignores the comment and tiny reads the guards back.

import { readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { TinyError, type Diagnostic } from '../util/diagnostics.js';
import { run } from '../util/exec.js';
import { sha256, writeFileAtomic } from '../util/fs.js';
import { bytesOf } from '../util/bytes.js';
import { displayPath, plural } from './collect.js';
import type { BaseDoc, PatchDoc, QueueDoc } from './doc.js';
import { formatGuard, GUARD_FORMS, parseGuard, selectPatches } from './guards.js';
import { QUEUE_FILE } from './load.js';
import type { Guard, Queue, QueuePatch } from './types.js';
import { renderQueueYaml } from './write.js';

export interface SeriesEntry {
  /** Path of the patch, relative to the series directory (QUILT_PATCHES). */
  patch: string;
  strip: number;
  reverse: boolean;
  guards: Guard[];
  /** 1-based line in the series file. */
  line: number;
}

export interface ParsedSeries {
  entries: SeriesEntry[];
  diagnostics: Diagnostic[];
}

interface Token {
  text: string;
  column: number; // 1-based
}

function tokens(s: string, offset: number): Token[] {
  return [...s.matchAll(/\S+/g)].map((m) => ({ text: m[0], column: offset + (m.index ?? 0) + 1 }));
}

/** Parse a quilt series file. `file` is the name diagnostics use. */
export function parseSeries(text: string, file: string): ParsedSeries {
  const entries: SeriesEntry[] = [];
  const diagnostics: Diagnostic[] = [];
  text.split('\n').forEach((raw, i) => {
    const entry = parseSeriesLine(raw.replace(/\r$/, ''), i + 1, file, diagnostics);
    if (entry) entries.push(entry);
  });
  return { entries, diagnostics };
}

function parseSeriesLine(line: string, lineNo: number, file: string, diags: Diagnostic[]): SeriesEntry | null {
  const err = (column: number, message: string, hint: string): void => {
    diags.push({ severity: 'error', file, line: lineNo, column, message, hint });
  };
  // As in quilt (patch_args): '#' at the start or after blanks begins a comment.
  const hash = /(^|\s)#/.exec(line);
  const codeEnd = hash ? hash.index + hash[1]!.length : line.length;
  const code = tokens(line.slice(0, codeEnd), 0);
  const trailing = hash ? commentGuards(line.slice(codeEnd + 1)) : [];
  if (code.length === 0) return null;

  const guards: Guard[] = [];
  let k = 0;
  for (; k < code.length && /^[+-]/.test(code[k]!.text); k++) {
    const g = parseGuard(code[k]!.text);
    if (g) guards.push(g);
    else err(code[k]!.column, `bad guard '${code[k]!.text}'`, `a guard is one of ${GUARD_FORMS}`);
  }
  const patch = code[k];
  if (!patch) {
    err(code[0]!.column, 'guards without a patch name', 'write the patch path after its guards: `+sym path/to/fix.patch`');
    return null;
  }
  const entry: SeriesEntry = { patch: patch.text, strip: 1, reverse: false, guards, line: lineNo };
  for (const t of code.slice(k + 1)) {
    const strip = /^-p(\d+)$/.exec(t.text);
    if (strip) entry.strip = Number(strip[1]);
    else if (t.text === '-R') entry.reverse = true;
    else if (t.text.startsWith('+') && parseGuard(t.text)) {
      err(t.column, `guard '${t.text}' after the patch name`, `put guards before the patch name or in a trailing comment: ${patch.text} #${t.text}`);
    } else if (t.text.startsWith('-')) {
      err(t.column, `unknown option '${t.text}' for patch '${patch.text}'`, 'a series line is `patch [-pN] [-R]`: -pN strips N path components, -R applies in reverse');
    } else {
      err(t.column, `unexpected '${t.text}' after patch '${patch.text}'`, 'write one patch per line: `patch [-pN] [-R]`');
    }
  }
  entry.guards.push(...trailing);
  return entry;
}

/** A trailing comment made only of guards ("#+xen -!x86") is guards; any other is a remark. */
function commentGuards(comment: string): Guard[] {
  const words = comment.trim().split(/\s+/).filter(Boolean);
  const guards = words.map(parseGuard);
  return words.length > 0 && guards.every((g) => g !== null) ? (guards as Guard[]) : [];
}

/** One series line as tiny writes it: `path [-pN] [-R] [#guards]`. */
export function formatSeriesLine(path: string, p: { strip: number; reverse: boolean; guards: readonly Guard[] }): string {
  let line = path;
  if (p.strip !== 1) line += ` -p${p.strip}`;
  if (p.reverse) line += ' -R';
  if (p.guards.length) line += ` #${p.guards.map(formatGuard).join(' ')}`;
  return line;
}

// --- import ------------------------------------------------------------------------------

export interface ImportOptions {
  /** The base to write; by default `version: unknown` and a comment asking to fill it in. */
  base?: BaseDoc;
  /** Queue name; default: the output directory's name. */
  name?: string;
  /** Replace an existing queue.yaml. */
  force?: boolean;
  /** Directory diagnostics' paths are relative to (default: process.cwd()). */
  cwd?: string;
}

const PATCH_EXT = /\.(patch|diff|dpatch)$/i;
/** The compressed patch files quilt reads (by name, as quilt push decides): .gz, .bz2, .xz. */
const COMPRESSED_EXT = /\.(gz|bz2|xz)$/i;

/** A queue patch name from a series path: "features/all/fix-foo.patch" -> "features/all/fix-foo". */
export function nameFromPath(path: string): string {
  const name = path
    .replace(PATCH_EXT, '')
    .replace(/[^A-Za-z0-9._+/-]/g, '-')
    .replace(/^[^A-Za-z0-9_]+/, '');
  return name || 'patch';
}

function unique(wanted: string, taken: Set<string>): string {
  let name = wanted;
  for (let n = 2; taken.has(name); n++) name = `${wanted}-${n}`;
  taken.add(name);
  return name;
}

/** Where a series path lands under the queue's patches/ directory (never outside it). */
function importedFile(patch: string): string {
  const rel = posix.normalize(patch.split('\\').join('/'));
  return rel.startsWith('../') || isAbsolute(rel) ? `patches/${basename(rel)}` : `patches/${rel}`;
}

/**
 * Turn a quilt patches directory (with its `series`) into `outDir/queue.yaml` plus
 * `outDir/patches/...`, keeping order, strip levels, -R and guards.
 */
export async function importQuilt(quiltDir: string, outDir: string, opts: ImportOptions = {}): Promise<{ queueFile: string; count: number }> {
  const cwd = opts.cwd ?? process.cwd();
  const seriesFile = join(resolve(quiltDir), 'series');
  const seriesName = displayPath(seriesFile, cwd);
  const queueFile = join(resolve(outDir), QUEUE_FILE);
  if (!opts.force && (await isFile(queueFile))) {
    throw new TinyError(`${displayPath(queueFile, cwd)} already exists`, 2, [], 'import into an empty directory, or force the import to replace the queue');
  }
  const { entries, diagnostics } = parseSeries(await readSeries(seriesFile, seriesName), seriesName);

  const taken = new Set<string>();
  const files = new Set<string>();
  const patches: { doc: PatchDoc; bytes: Buffer }[] = [];
  for (const e of entries) {
    const bytes = await readPatchFile(join(resolve(quiltDir), e.patch), e, seriesName, cwd, diagnostics);
    if (!bytes) continue;
    // A compressed patch is imported decompressed (a queue's patches are read as they are).
    const plain = e.patch.replace(COMPRESSED_EXT, '');
    const file = importedFile(plain);
    if (files.has(file)) {
      diagnostics.push({ severity: 'error', file: seriesName, line: e.line, message: `'${e.patch}' is listed twice`, hint: 'quilt applies each patch once: remove the repeated line' });
      continue;
    }
    files.add(file);
    patches.push({ doc: patchDoc(e, unique(nameFromPath(plain), taken), file), bytes });
  }
  if (diagnostics.some((d) => d.severity === 'error')) {
    throw new TinyError(`cannot import ${seriesName}: ${plural(diagnostics.length, 'problem')}`, 2, diagnostics);
  }

  // Patches first: a queue.yaml never names a file that is not there yet.
  for (const p of patches) await writeFileAtomic(join(resolve(outDir), p.doc.file), p.bytes);
  const doc: QueueDoc = {
    name: opts.name ?? (nameFromPath(basename(resolve(outDir))).replace(/\//g, '-') || 'imported'),
    base: opts.base ?? { version: 'unknown', sources: [] },
    series: patches.map((p) => p.doc),
  };
  const text = renderQueueYaml(doc, {
    queueFile,
    // Relative to the queue, so the note stays true wherever tiny runs from.
    header: [`Imported from ${displayPath(seriesFile, resolve(outDir))}.`],
    ...(opts.base ? {} : { baseComment: BASE_TODO }),
  });
  await writeFileAtomic(queueFile, text);
  return { queueFile, count: patches.length };
}

const BASE_TODO = [
  'TODO: fill in the base: the kernel version these patches apply to, and where its tree',
  "comes from: '- path: <dir or tarball>', '- url: <tarball URL>' with 'sha256:',",
  "'- git: <repo>' with 'ref: <tag>', or '- debian: linux-source-X.Y'.",
];

function patchDoc(e: SeriesEntry, name: string, file: string): PatchDoc {
  return {
    name,
    file,
    ...(e.guards.length ? { guards: e.guards.map(formatGuard) } : {}),
    ...(e.strip !== 1 ? { strip: e.strip } : {}),
    ...(e.reverse ? { reverse: true } : {}),
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function readSeries(seriesFile: string, shown: string): Promise<string> {
  try {
    return await readFile(seriesFile, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TinyError(`cannot read ${shown}: ${code ?? String(e)}`, 2, [], 'point at a quilt patches directory holding a series file, e.g. debian/patches');
  }
}

async function readPatchFile(abs: string, e: SeriesEntry, seriesName: string, cwd: string, diags: Diagnostic[]): Promise<Buffer | undefined> {
  const problem = (message: string, hint: string) => {
    diags.push({ severity: 'error', file: seriesName, line: e.line, column: 1, message, hint });
    return undefined;
  };
  let bytes: Buffer;
  try {
    bytes = await readFile(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return problem(
      code === 'ENOENT' ? `patch '${e.patch}' not found` : `cannot read patch '${e.patch}': ${code ?? String(err)}`,
      `looked for ${displayPath(abs, cwd)}; series paths are relative to the series file's directory`,
    );
  }
  const packed = COMPRESSED_EXT.exec(e.patch)?.[1]?.toLowerCase() as 'gz' | 'bz2' | 'xz' | undefined;
  if (!packed) return bytes;
  const tool = { gz: 'gzip', bz2: 'bzip2', xz: 'xz' }[packed];
  const r = await run(tool, ['-dc'], { input: bytes, binary: true, allowFail: true });
  if (r.code === 0 && r.stdoutBuffer) return r.stdoutBuffer;
  return problem(
    `cannot decompress patch '${e.patch}' with ${tool}: ${r.stderr.trim() || `exit ${r.code}`}`,
    `quilt reads a patch named .gz, .bz2 or .xz through ${tool}; check ${displayPath(abs, cwd)}`,
  );
}

// --- export ------------------------------------------------------------------------------

export interface ExportOptions {
  /** Only write the patches these guard symbols select (as guards(1) would). */
  symbols?: ReadonlySet<string>;
  /**
   * The base version the series is for (default: the queue's base): a patch whose `bases:`
   * list leaves this version out is not written. A quilt series has no per-patch bases: it is
   * one series per base.
   */
  base?: string;
}

export interface ExportResult {
  /** The base version the series is for. */
  base: string;
  /** Patches left out because they are not meant for that base (their `bases:` lists others). */
  otherBases: string[];
}

/**
 * Write `outDir/series` and the patch files next to it, so that QUILT_PATCHES=outDir
 * `quilt push -a` applies the queue. outDir is a quilt patches directory, like
 * debian/patches: a queue file `patches/foo.patch` is written as `outDir/foo.patch`, so that
 * importing outDir again gives the same names and files.
 */
export async function exportQuilt(queue: Queue, outDir: string, opts: ExportOptions = {}): Promise<ExportResult> {
  const out = resolve(outDir);
  const base = opts.base ?? queue.base.version;
  const known = [queue.base, ...queue.otherBases].map((b) => b.version);
  if (!known.includes(base)) throw new TinyError(`the queue claims no base ${base}`, 2, [], `its bases: ${known.join(', ')}`);
  // The rule `tiny queue check` and the builds use: an empty bases: list means every base.
  const meant = (p: QueuePatch) => p.bases.length === 0 || p.bases.includes(base);
  const selected = opts.symbols ? selectPatches(queue.series, opts.symbols) : queue.series;
  const series = selected.filter(meant);
  const claimsSeveral = known.length > 1;
  const layout = quiltLayout(queue, series, `exported by tiny${claimsSeveral ? ` for base ${base}` : ''}${opts.symbols ? ` for symbols: ${[...opts.symbols].sort().join(' ') || '(none)'}` : ''}`);
  for (const f of layout.files) await writeFileAtomic(join(out, f.path), await patchBytes(f.patch));
  await writeFileAtomic(join(out, 'series'), layout.series);
  return { base, otherBases: selected.filter((p) => !meant(p)).map((p) => p.name) };
}

export interface QuiltLayout {
  /** Each patch and where it goes, relative to the quilt patches directory, in series order. */
  files: Array<{ path: string; patch: QueuePatch }>;
  /** The series file's text. */
  series: string;
}

/**
 * Where each patch of `series` goes in a quilt patches directory (like debian/patches: a queue
 * file `patches/foo.patch` becomes `foo.patch`, so that importing the directory again gives the
 * same names and files) and the series file listing them, headed by `# <queue>: <note>`.
 */
export function quiltLayout(queue: Queue, series: readonly QueuePatch[], note: string): QuiltLayout {
  const taken = new Set<string>(['series']); // quilt's own file in QUILT_PATCHES
  const lines = [`# ${queue.name}: ${note}`];
  const files: QuiltLayout['files'] = [];
  for (const p of series) {
    const rel = uniquePath(exportedPath(p, queue.dir), taken);
    files.push({ path: rel, patch: p });
    lines.push(formatSeriesLine(rel, p));
  }
  return { files, series: lines.join('\n') + '\n' };
}

/**
 * The series files of further bases beside a layout (a release's other bases): a patch already
 * in `main` keeps its path there, a per-base variant gets its own (patches/2.6.11/... of the
 * queue become 2.6.11/... ), so one patches directory serves every base:
 * `QUILT_SERIES=series-<version> quilt push -a`.
 */
export function extraQuiltSeries(queue: Queue, main: QuiltLayout, others: ReadonlyArray<{ note: string; patches: readonly QueuePatch[] }>): { files: QuiltLayout['files']; series: string[] } {
  const taken = new Set<string>(['series', ...main.files.map((f) => f.path)]);
  const pathOf = new Map<QueuePatch, string>(main.files.map((f) => [f.patch, f.path]));
  const files: QuiltLayout['files'] = [];
  const series = others.map((o) => {
    const lines = [`# ${queue.name}: ${o.note}`];
    for (const p of o.patches) {
      let path = pathOf.get(p);
      if (path === undefined) {
        path = uniquePath(exportedPath(p, queue.dir), taken);
        pathOf.set(p, path);
        files.push({ path, patch: p });
      }
      lines.push(formatSeriesLine(path, p));
    }
    return lines.join('\n') + '\n';
  });
  return { files, series };
}

/** The queue file relative to the queue's patches/ directory when it is inside it. */
function exportedPath(p: QueuePatch, queueDir: string): string {
  const rel = relative(queueDir, p.path).split(sep).join('/');
  if (rel.startsWith('../') || isAbsolute(rel)) return basename(rel);
  return rel.startsWith('patches/') ? rel.slice('patches/'.length) : rel;
}

function uniquePath(wanted: string, taken: Set<string>): string {
  let path = wanted;
  const ext = PATCH_EXT.exec(wanted)?.[0] ?? '';
  const stem = wanted.slice(0, wanted.length - ext.length);
  for (let n = 2; taken.has(path); n++) path = `${stem}-${n}${ext}`;
  taken.add(path);
  return path;
}

/** The bytes the queue loaded (its text is a byte string of them: exact). */
export async function patchBytes(p: QueuePatch): Promise<Buffer> {
  const fromText = bytesOf(p.text);
  if (sha256(fromText) === p.sha256) return fromText;
  return readFile(p.path);
}
