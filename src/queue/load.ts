// Loading queue.yaml: parse (keeping positions), validate against the schema, check what a
// schema cannot (names, dependencies, guards, bases, patch files), read and parse every patch.
// Every problem is collected with its file:line:column and a hint; loading fails once, at the
// end, with all of them (TinyError, exit 2).

import { readFile, readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { visit, type Document } from 'yaml';
import { parsePatch, PatchParseError } from '../patch/parse.js';
import { patchPathIssues } from '../patch/paths.js';
import { compressionFromMagic } from '../source/compression.js';
import type { ParsedPatch } from '../patch/types.js';
import { TinyError, type Diagnostic } from '../util/diagnostics.js';
import { sha256 } from '../util/fs.js';
import { byteString } from '../util/bytes.js';
import { Collector, displayPath, plural } from './collect.js';
import { isTarballPath, type BaseDoc, type PatchDoc, type QueueDoc, type SourceDoc } from './doc.js';
import { GUARD_FORMS, parseGuard } from './guards.js';
import { closest } from '../util/suggest.js';
import type { BaseSpec, Queue, QueuePatch, SourceSpec } from './types.js';
import { firstErrorPerLine, isRecord, parseYaml, yamlSyntaxHints, type DataPath, type YamlPositions } from '../util/yaml-schema.js';
import { validateSchema } from './validate.js';

export const QUEUE_FILE = 'queue.yaml';

export interface LoadOptions {
  /** Directory diagnostics' paths are shown relative to (default: process.cwd()). */
  cwd?: string;
}

/** Everything the checks share. */
interface Ctx {
  dir: string;
  cwd: string;
  /** Display path of queue.yaml. */
  file: string;
  pos: YamlPositions;
  out: Collector;
}

/** A series entry as far as it could be understood (fields are set when well-typed). */
interface Entry {
  index: number;
  path: DataPath;
  raw: Record<string, unknown>;
  name?: string;
}

/** Load and check `<dir>/queue.yaml`. Throws TinyError (exit 2) listing every problem found. */
export async function loadQueue(dir: string, opts: LoadOptions = {}): Promise<Queue> {
  const cwd = opts.cwd ?? process.cwd();
  const absDir = resolve(dir);
  const abs = join(absDir, QUEUE_FILE);
  const file = displayPath(abs, cwd);
  const text = await readQueueText(abs, file, absDir, cwd);

  const { doc, pos } = parseYaml(text);
  const ctx: Ctx = { dir: absDir, cwd, file, pos, out: new Collector(file) };

  yamlErrors(doc, ctx);
  const data = ctx.out.errorCount ? undefined : toData(doc, ctx);
  if (ctx.out.errorCount) fail(ctx);
  if (data === null || data === undefined) {
    ctx.out.at(ctx.pos.at(0), 'the queue file is empty', 'a queue needs name:, base: and series: (see queue/queue.yaml in tiny for an example)');
    fail(ctx);
  }

  validateSchema(data, ctx.pos, ctx.out);
  const entries = seriesEntries(data);
  checkGuards(entries, ctx);
  const firstByName = checkNames(entries, ctx);
  checkDepends(entries, firstByName, ctx);
  checkBases(data, entries, ctx);
  const patches = await readPatches(entries, ctx);
  if (ctx.out.errorCount) fail(ctx);

  // Everything is checked: from here on the data has the schema's shape.
  return buildQueue(data as QueueDoc, patches, ctx, abs);
}

async function readQueueText(abs: string, file: string, dir: string, cwd: string): Promise<string> {
  try {
    return await readFile(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const d: Diagnostic =
      code === 'ENOENT'
        ? {
            severity: 'error',
            file,
            message: `no ${QUEUE_FILE} in ${displayPath(dir, cwd) || '.'}`,
            hint: 'create one with name:, base: and series:, or import a quilt series directory into a new queue',
          }
        : { severity: 'error', file, message: `cannot read ${QUEUE_FILE}: ${code ?? String(e)}`, hint: 'check the file permissions' };
    throw new TinyError(`cannot load queue ${file}`, 2, [d]);
  }
}

function fail(ctx: Ctx): never {
  const n = ctx.out.errorCount;
  throw new TinyError(`invalid queue ${ctx.file}: ${plural(n, 'error')}`, 2, ctx.out.sorted());
}

// --- YAML syntax ------------------------------------------------------------------------

const YAML_HINTS: Partial<Record<string, string>> = {
  ...yamlSyntaxHints("queue.yaml holds a single document: remove the '---' line"),
  BAD_ALIAS: 'define the anchor (&name) before using the alias (*name)',
};

/** yaml's own errors, one per line (it often reports one mistake twice at one spot). */
function yamlErrors(doc: Document.Parsed, ctx: Ctx): void {
  for (const e of firstErrorPerLine(doc, ctx.pos)) ctx.out.at(e.pos, e.message, YAML_HINTS[e.code] ?? 'fix the YAML syntax here');
  for (const w of doc.warnings) ctx.out.at(ctx.pos.at(w.pos[0]), w.message, undefined, 'warning');
}

function toData(doc: Document.Parsed, ctx: Ctx): unknown {
  try {
    return doc.toJS();
  } catch (e) {
    // An alias to an anchor that is not defined: yaml only notices when resolving.
    let at = 0;
    visit(doc, {
      Alias(_, node) {
        if (node.resolve(doc) !== undefined || !node.range) return undefined;
        at = node.range[0];
        return visit.BREAK;
      },
    });
    ctx.out.at(ctx.pos.at(at), (e as Error).message, YAML_HINTS.BAD_ALIAS);
    return undefined;
  }
}

// --- Checks beyond the schema ------------------------------------------------------------

function seriesEntries(data: unknown): Entry[] {
  if (!isRecord(data) || !Array.isArray(data.series)) return [];
  const entries: Entry[] = [];
  data.series.forEach((raw: unknown, index) => {
    if (!isRecord(raw)) return;
    const name = typeof raw.name === 'string' ? raw.name : undefined;
    entries.push({ index, path: ['series', index], raw, ...(name !== undefined ? { name } : {}) });
  });
  return entries;
}

function stringItems(v: unknown): [number, string][] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((x: unknown, i) => (typeof x === 'string' ? [[i, x] as [number, string]] : []));
}

function checkGuards(entries: Entry[], ctx: Ctx): void {
  for (const e of entries) {
    for (const [i, g] of stringItems(e.raw.guards)) {
      if (parseGuard(g)) continue;
      const fixed = parseGuard(`+${g}`) ? `did you mean '+${g}'? ` : '';
      ctx.out.at(ctx.pos.valuePos([...e.path, 'guards', i]), `bad guard '${g}'`, `${fixed}a guard is one of ${GUARD_FORMS}`);
    }
  }
}

/**
 * Reports duplicate names; returns the first entry of each name. A name may repeat for per-base
 * variants of one patch (the same change, ported by hand to a base where the original does not
 * apply): each entry then lists its `bases:` and no base is listed by two of them, so every base
 * sees one patch of that name, and reports line the variants up by name across bases.
 */
function checkNames(entries: Entry[], ctx: Ctx): Map<string, Entry> {
  const first = new Map<string, Entry>();
  const claimedBy = new Map<string, Map<string, Entry>>();
  for (const e of entries) {
    if (e.name === undefined) continue;
    const bases = stringItems(e.raw.bases).map(([, v]) => v);
    const prev = first.get(e.name);
    if (!prev) {
      first.set(e.name, e);
      claimedBy.set(e.name, new Map(bases.map((b) => [b, e])));
      continue;
    }
    const prevLine = ctx.pos.valuePos([...prev.path, 'name']).line;
    const prevBases = stringItems(prev.raw.bases).map(([, v]) => v);
    if (!bases.length || !prevBases.length) {
      ctx.out.at(
        ctx.pos.valuePos([...e.path, 'name']),
        `duplicate patch name '${e.name}' (first used on line ${prevLine})`,
        'patch names identify patches in depends and reports: rename one of them, or give each per-base variant its own bases: list',
      );
      continue;
    }
    const seen = claimedBy.get(e.name)!;
    for (const b of bases) {
      const other = seen.get(b);
      if (other) {
        ctx.out.at(
          ctx.pos.valuePos([...e.path, 'name']),
          `patch '${e.name}' is given twice for base ${b} (first on line ${ctx.pos.valuePos([...other.path, 'name']).line})`,
          'per-base variants of a patch share a name only when no base is listed by two of them: fix their bases: lists',
        );
      } else seen.set(b, e);
    }
  }
  return first;
}

interface Edge {
  from: Entry;
  to: Entry;
  /** Index in from's depends list (for the position). */
  item: number;
}

function checkDepends(entries: Entry[], byName: Map<string, Entry>, ctx: Ctx): void {
  const edges: Edge[] = [];
  for (const e of entries) {
    for (const [i, dep] of stringItems(e.raw.depends)) {
      const to = byName.get(dep);
      if (to) {
        edges.push({ from: e, to, item: i });
        continue;
      }
      const guess = closest(dep, byName.keys());
      ctx.out.at(
        ctx.pos.valuePos([...e.path, 'depends', i]),
        `unknown dependency '${dep}'`,
        guess ? `did you mean '${guess}'?` : `no patch in the series is named '${dep}': depends lists names of earlier patches`,
      );
    }
  }
  const inCycle = reportCycles(entries, edges, ctx);
  for (const edge of edges) {
    if (inCycle.has(edge) || edge.to.index <= edge.from.index) continue;
    const from = edge.from.name ?? `series entry ${edge.from.index + 1}`;
    const toLine = ctx.pos.valuePos(edge.to.path).line;
    ctx.out.at(
      ctx.pos.valuePos([...edge.from.path, 'depends', edge.item]),
      `'${from}' depends on '${edge.to.name}', which comes later in the series (line ${toLine})`,
      `move '${edge.to.name}' above '${from}': patches apply in series order`,
    );
  }
}

/**
 * Find dependency cycles (strongly connected components, Tarjan) and report one cycle per
 * component, in series order. Returns the edges inside cycles: an ordering error on those
 * would only repeat the cycle.
 */
function reportCycles(entries: Entry[], edges: Edge[], ctx: Ctx): Set<Edge> {
  const out = new Map<Entry, Edge[]>();
  for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e]);
  const comp = stronglyConnected(entries, (n) => (out.get(n) ?? []).map((e) => e.to));
  const inCycle = new Set<Edge>();
  const reported = new Set<number>();
  for (const edge of edges) {
    const c = comp.get(edge.from)!;
    if (c !== comp.get(edge.to)) continue;
    inCycle.add(edge);
    if (reported.has(c)) continue;
    reported.add(c);
    // Start from the earliest patch of the cycle, so the message reads in series order.
    const start = entries.find((n) => comp.get(n) === c && (out.get(n) ?? []).some((e) => comp.get(e.to) === c))!;
    const cycle = cyclePath(start, out, comp);
    const first = cycle[0]!;
    ctx.out.at(
      ctx.pos.valuePos([...first.from.path, 'depends', first.item]),
      `dependency cycle: ${[start, ...cycle.map((e) => e.to)].map((n) => n.name).join(' -> ')}`,
      'a patch can only depend on patches before it in the series: remove one of these depends',
    );
  }
  return inCycle;
}

/** Shortest path of edges from `start` back to itself within its component (BFS). */
function cyclePath(start: Entry, out: Map<Entry, Edge[]>, comp: Map<Entry, number>): Edge[] {
  const via = new Map<Entry, Edge>();
  const queue: Entry[] = [start];
  while (queue.length) {
    const n = queue.shift()!;
    for (const e of out.get(n) ?? []) {
      if (comp.get(e.to) !== comp.get(start)) continue;
      if (e.to === start) {
        const path = [e];
        for (let cur = n; cur !== start; cur = via.get(cur)!.from) path.unshift(via.get(cur)!);
        return path;
      }
      if (!via.has(e.to)) {
        via.set(e.to, e);
        queue.push(e.to);
      }
    }
  }
  return [];
}

function stronglyConnected<T>(nodes: T[], next: (n: T) => T[]): Map<T, number> {
  const index = new Map<T, number>();
  const low = new Map<T, number>();
  const comp = new Map<T, number>();
  const stack: T[] = [];
  let counter = 0;
  let comps = 0;
  const visit = (v: T): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (!comp.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      let w: T;
      do {
        w = stack.pop()!;
        comp.set(w, comps);
      } while (w !== v);
      comps++;
    }
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return comp;
}

/** Base versions: unique, known to patches that name them; sources coherent. */
function checkBases(data: unknown, entries: Entry[], ctx: Ctx): void {
  if (!isRecord(data)) return;
  const bases: [DataPath, Record<string, unknown>][] = [];
  if (isRecord(data.base)) bases.push([['base'], data.base]);
  if (Array.isArray(data.bases)) {
    data.bases.forEach((b: unknown, i) => {
      if (isRecord(b)) bases.push([['bases', i], b]);
    });
  }

  const versions = new Map<string, number>();
  for (const [path, base] of bases) {
    if (typeof base.version !== 'string') continue;
    const here = ctx.pos.valuePos([...path, 'version']);
    const prevLine = versions.get(base.version);
    if (prevLine !== undefined) {
      ctx.out.at(here, `base version '${base.version}' is listed twice (first on line ${prevLine})`, 'each base appears once: remove the repeated one');
    } else versions.set(base.version, here.line);
    checkBaseFilledIn(path, base, ctx);
    checkSources(path, base, ctx);
  }

  const known = [...versions.keys()];
  for (const e of entries) {
    for (const [i, v] of stringItems(e.raw.bases)) {
      if (versions.has(v)) continue;
      // No "did you mean" here: 2.6.10 is one edit from 2.6.9 and means something else.
      ctx.out.at(ctx.pos.valuePos([...e.path, 'bases', i]), `unknown base '${v}'`, `the queue's bases are ${known.join(', ')}; add ${v} under bases: or fix the version`);
    }
  }
}

/** A freshly imported queue has `version: unknown` and no sources: loadable, but say so. */
function checkBaseFilledIn(path: DataPath, base: Record<string, unknown>, ctx: Ctx): void {
  if (base.version === 'unknown') {
    ctx.out.at(ctx.pos.valuePos([...path, 'version']), "base version is still 'unknown'", 'set it to the kernel version the series applies to, e.g. version: "2.6.9"', 'warning');
  }
  if (Array.isArray(base.sources) && base.sources.length === 0) {
    ctx.out.at(
      ctx.pos.valuePos([...path, 'sources']),
      `base ${String(base.version)} has no sources`,
      'add where its tree comes from: `- path: <dir or tarball>`, `- url: ...` with `sha256:`, `- git: <repo>` with `ref:`, or `- debian: linux-source-X.Y`',
      'warning',
    );
  }
}

function checkSources(path: DataPath, base: Record<string, unknown>, ctx: Ctx): void {
  if (!Array.isArray(base.sources)) return;
  base.sources.forEach((s: unknown, i) => {
    // A download must be verified by something: its sha256, or the tree hash of its content.
    if (isRecord(s) && typeof s.url === 'string' && s.path === undefined && s.sha256 === undefined && !(typeof base.tree === 'string' && /^[0-9a-f]{40}$/.test(base.tree))) {
      ctx.out.at(
        ctx.pos.valuePos([...path, 'sources', i, 'url']),
        `url source '${s.url}' has no sha256, and the base pins no tree`,
        'add `sha256: <sha256sum of the file>` to the source, or pin the content with base.tree (`git rev-parse <commit>^{tree}`)',
      );
    }
    if (!isRecord(s) || typeof s.path !== 'string' || s.sha256 === undefined || isTarballPath(s.path)) return;
    ctx.out.at(
      ctx.pos.keyPos([...path, 'sources', i, 'sha256']),
      `sha256 is for tarballs, and '${s.path}' is a directory`,
      'remove sha256 (pin a directory with base.tree), or point path at a .tar, .tar.gz, .tgz, .tar.bz2 or .tar.xz file',
    );
  });
}

// --- Patch files -------------------------------------------------------------------------

interface LoadedPatch {
  abs: string;
  text: string;
  sha256: string;
  parsed: ParsedPatch;
}

async function readPatches(entries: Entry[], ctx: Ctx): Promise<Map<Entry, LoadedPatch>> {
  const loaded = await Promise.all(entries.map((e) => readPatch(e, ctx)));
  const result = new Map<Entry, LoadedPatch>();
  entries.forEach((e, i) => {
    if (loaded[i]) result.set(e, loaded[i]);
  });
  return result;
}

async function readPatch(e: Entry, ctx: Ctx): Promise<LoadedPatch | undefined> {
  const file = e.raw.file;
  if (typeof file !== 'string' || file === '') return undefined;
  const at = ctx.pos.valuePos([...e.path, 'file']);
  const abs = resolvePath(file, ctx.dir);
  let bytes: Buffer;
  try {
    bytes = await readFile(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') ctx.out.at(at, `patch file '${file}' not found`, await missingFileHint(abs, ctx));
    else if (code === 'EISDIR') ctx.out.at(at, `'${file}' is a directory, not a patch file`, 'point file: at the .patch or .diff file');
    else ctx.out.at(at, `cannot read patch file '${file}': ${code ?? String(err)}`, `check the permissions of ${displayPath(abs, ctx.cwd)}`);
    return undefined;
  }
  const packed = compressionFromMagic(bytes.subarray(0, 6));
  if (packed && packed !== 'none') {
    ctx.out.at(
      at,
      `patch file '${file}' is compressed (${packed})`,
      `a queue reads its patches as they are: decompress it (${packed} -dk ${displayPath(abs, ctx.cwd)}) and point file: at the result; tiny queue import-quilt decompresses the .gz, .bz2 and .xz patches of a quilt series itself`,
    );
    return undefined;
  }
  // Bytes, never decoded: a Latin-1 or GBK patch must change exactly the bytes it names.
  const text = byteString(bytes);
  const strip = typeof e.raw.strip === 'number' && Number.isInteger(e.raw.strip) && e.raw.strip >= 0 ? e.raw.strip : 1;
  let parsed: ParsedPatch;
  try {
    parsed = parsePatch(text, strip);
  } catch (err) {
    if (!(err instanceof PatchParseError)) throw err;
    const where = `${ctx.file}:${at.line}`;
    ctx.out.add(
      {
        severity: 'error',
        file: displayPath(abs, ctx.cwd),
        line: err.line,
        message: err.message,
        hint: `this is patch '${e.name ?? file}' (${where}); fix the patch or regenerate it (git format-patch, quilt refresh)`,
      },
      at.offset,
    );
    return undefined;
  }
  if (parsed.files.length === 0) {
    ctx.out.at(at, `patch file '${file}' contains no diff`, `${displayPath(abs, ctx.cwd)} has no file sections ('--- a/...' and '+++ b/...' lines, or 'diff --git'); is it the right file?`);
    return undefined;
  }
  // Paths outside the tree, into .git, symlinks pointing out: the rule check and apply share
  // (src/patch/paths.ts); the ones that need no tree are refused here, for every command.
  const reverse = e.raw.reverse === true;
  const issues = patchPathIssues(parsed, undefined, reverse);
  for (const issue of issues) {
    ctx.out.add(
      {
        severity: 'error',
        file: displayPath(abs, ctx.cwd),
        line: issue.patchLine,
        message: issue.message,
        hint: `${issue.hint}; this is patch '${e.name ?? file}' (${ctx.file}:${at.line})`,
      },
      at.offset,
    );
  }
  if (issues.length) return undefined;
  // The identity of a patch is its bytes.
  return { abs, text, sha256: sha256(bytes), parsed };
}

async function missingFileHint(abs: string, ctx: Ctx): Promise<string> {
  let guess: string | undefined;
  try {
    guess = closest(basename(abs), await readdir(dirname(abs)));
  } catch {
    /* the directory is missing too: no suggestion */
  }
  const looked = `looked for ${displayPath(abs, ctx.cwd)}`;
  if (guess) return `${looked}; did you mean '${displayPath(join(dirname(abs), guess), ctx.cwd)}'?`;
  return `${looked} (file: is relative to the queue directory); fix the path or add the file`;
}

// --- Building the Queue ------------------------------------------------------------------

/** `~` and `~/x` expand to the home directory; relative paths are relative to `dir`. */
export function resolvePath(p: string, dir: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return resolve(dir, p);
}

function toSource(s: SourceDoc, dir: string): SourceSpec {
  if ('path' in s) {
    const path = resolvePath(s.path, dir);
    if (!isTarballPath(path)) return { kind: 'dir', path };
    return { kind: 'tarball', path, ...(s.sha256 ? { sha256: s.sha256 } : {}) };
  }
  if ('url' in s) return { kind: 'url', url: s.url, ...(s.sha256 ? { sha256: s.sha256 } : {}) };
  // A git source may be a URL or a local repository; only paths that look local are resolved.
  if ('git' in s) return { kind: 'git', repo: /^[./~]/.test(s.git) ? resolvePath(s.git, dir) : s.git, ref: s.ref };
  return { kind: 'debian', package: s.debian };
}

function toBase(b: BaseDoc, dir: string): BaseSpec {
  return { version: b.version, ...(b.tree ? { tree: b.tree } : {}), ...(b.date ? { date: b.date } : {}), sources: b.sources.map((s) => toSource(s, dir)) };
}

function toPatch(p: PatchDoc, loaded: LoadedPatch, line: number): QueuePatch {
  const summary = p.summary ?? loaded.parsed.header.subject;
  const author = p.author ?? loaded.parsed.header.author;
  return {
    name: p.name,
    file: p.file,
    path: loaded.abs,
    ...(summary ? { summary } : {}),
    ...(author ? { author } : {}),
    ...(p.option ? { option: p.option } : {}),
    guards: (p.guards ?? []).map((g) => parseGuard(g)!),
    depends: p.depends ?? [],
    bases: p.bases ?? [],
    strip: p.strip ?? 1,
    reverse: p.reverse ?? false,
    text: loaded.text,
    sha256: loaded.sha256,
    parsed: loaded.parsed,
    line,
  };
}

function buildQueue(doc: QueueDoc, patches: Map<Entry, LoadedPatch>, ctx: Ctx, abs: string): Queue {
  const byIndex = new Map([...patches].map(([e, p]) => [e.index, p]));
  const warnings = ctx.out.sorted().filter((d) => d.severity === 'warning');
  return {
    dir: ctx.dir,
    file: abs,
    name: doc.name,
    base: toBase(doc.base, ctx.dir),
    otherBases: (doc.bases ?? []).map((b) => toBase(b, ctx.dir)),
    series: doc.series.map((p, i) => toPatch(p, byIndex.get(i)!, ctx.pos.valuePos(['series', i]).line)),
    warnings,
  };
}
