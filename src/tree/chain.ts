// The fast path of buildSeries: patches applied in memory (src/patch/apply.ts, GNU patch's
// semantics, as quilt applies them and as `tiny queue check` reports them) to the few files a
// series touches, and the commits written by one `git fast-import` per run of such patches. No
// index of the whole tree is read or written per patch: fast-import builds each commit's tree
// from its parent's, loading only the directories on the changed paths. On a 80k-file tree that
// is the difference between a few milliseconds and a second per patch.
//
// The in-memory applier decides every patch it can represent: offsets, fuzz (up to 2, GNU
// patch's default, as quilt runs it), hunks anchored at either end of a file, renames, copies
// and mode changes of regular files, git's binary patches (by git apply's rules: GNU patch has
// none; a binary diff without its data is refused, as `tiny queue check` refuses it, though git
// apply would take the result from the store when it happens to hold it), and failures. A patch
// takes `git apply` (series.ts) only for what it does not model: symlinks and other non-regular
// files, paths that are not UTF-8, and a file created by a section that does not say it creates
// it. `git apply` places some fuzzy hunks elsewhere than GNU patch, refuses
// some it applies and applies some it refuses: every patch quilt could apply is applied by the
// rules quilt applies it by (test/integration/series-vs-gnu-patch.test.ts).

import { readFile, rm } from 'node:fs/promises';
import { applyPatch } from '../patch/apply.js';
import { parsePatch } from '../patch/parse.js';
import { parentsOf } from '../patch/paths.js';
import type { HunkResult, ParsedPatch } from '../patch/types.js';
import { argOf, byteString, bytesOf, isUtf8 } from '../util/bytes.js';
import { start, type Child } from '../util/exec.js';
import { git, gitEnv } from './git.js';
import { scratchPath, type TreeStore } from './store.js';

/** A tree entry's mode as ls-tree prints it. */
type Mode = '100644' | '100755' | '120000' | '160000' | '040000';

/** A patch's changes: path -> new content (or an object git wrote) and mode, or null (deleted). */
export type TreeChanges = Map<string, { content: string; mode: '100644' | '100755' | '120000' } | { oid: string; mode: Mode } | null>;

/** What the in-memory applier made of a patch: its changes and fuzz, or the hunks that failed. */
export type MemoryResult = { kind: 'applied'; changes: TreeChanges; fuzz: 0 | 1 | 2 } | { kind: 'failed'; hunks: string[]; message: string };

/**
 * The in-memory applier's failed hunks as a series failure: a hunk that did not apply as
 * "file:line" (where the patch expected it, as git apply and patch(1) name it); a file refused
 * as a whole (not found, already exists, ...) once, with why.
 */
function failureOf(failed: HunkResult[]): MemoryResult {
  const hunks = new Set<string>();
  const reasons = new Set<string>();
  for (const h of failed) {
    if (h.fileError) {
      hunks.add(`${h.file}: ${h.fileError}`);
      reasons.add(`${h.file}: ${h.fileError}`);
    } else {
      hunks.add(h.hunk > 0 ? `${h.file}:${h.expectedLine}` : (h.reason ?? h.file));
      reasons.add(h.reason ?? `${h.file}: hunk #${h.hunk} FAILED`);
    }
  }
  return { kind: 'failed', hunks: [...hunks], message: [...reasons].join('\n') };
}

/** Every path a patch names, and every directory above them. */
function namedPaths(patch: ParsedPatch): { files: string[]; dirs: string[] } {
  const files = new Set<string>();
  const dirs = new Set<string>();
  for (const f of patch.files) {
    for (const p of [f.oldPath, f.newPath]) {
      if (p === null) continue;
      files.add(p);
      for (const d of parentsOf(p)) dirs.add(d);
    }
  }
  return { files: [...files], dirs: [...dirs] };
}

/** A patch text parsed for the fast path, or undefined when the parser refuses it (git decides then). */
export function parseForChain(text: Buffer, strip: number): ParsedPatch | undefined {
  try {
    return parsePatch(byteString(text), strip);
  } catch {
    return undefined;
  }
}

/**
 * The contents and modes of the paths a series names, at one tree, kept up to date in memory as
 * the fast path applies patches. Loaded with one `ls-tree` and one `cat-file --batch`.
 */
export class ChainFiles {
  private constructor(
    private readonly content: Map<string, string | undefined>,
    private readonly mode: Map<string, Mode | undefined>,
  ) {}

  static async load(store: TreeStore, tree: string, patches: Array<ParsedPatch | undefined>): Promise<ChainFiles> {
    const asked = new Set<string>();
    for (const p of patches) {
      if (!p) continue;
      const { files, dirs } = namedPaths(p);
      for (const x of [...files, ...dirs]) if (usablePath(x)) asked.add(x);
    }
    const mode = new Map<string, Mode | undefined>();
    const blobs: Array<{ path: string; oid: string }> = [];
    const list = [...asked];
    for (const p of list) mode.set(p, undefined);
    for (let i = 0; i < list.length; i += 1000) {
      const r = await git(store.gitDir, ['--literal-pathspecs', 'ls-tree', '-z', '--full-tree', tree, '--', ...list.slice(i, i + 1000).map(argOf)], { byteString: true });
      for (const entry of r.stdout.split('\0')) {
        const m = /^(\d{6}) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(entry);
        if (!m || !mode.has(m[4]!)) continue;
        mode.set(m[4]!, m[1] as Mode);
        if (m[1] === '100644' || m[1] === '100755') blobs.push({ path: m[4]!, oid: m[3]! });
      }
    }
    const content = new Map<string, string | undefined>();
    const got = await readBlobs(
      store,
      blobs.map((b) => b.oid),
    );
    for (const [i, b] of blobs.entries()) content.set(b.path, got[i]);
    return new ChainFiles(content, mode);
  }

  /**
   * The patch applied in memory (GNU patch's rules, fuzz up to 2), or the hunks that failed, when
   * the in-memory applier can represent the patch (see the top of this file); undefined when
   * `git apply` must decide. Nothing changes until `record` is called.
   */
  tryApply(patch: ParsedPatch, reverse: boolean): MemoryResult | undefined {
    const { files, dirs } = namedPaths(patch);
    // Only paths whose state was loaded, regular files (or absent), under plain directories.
    for (const p of files) {
      if (!this.mode.has(p)) return undefined;
      const m = this.mode.get(p);
      if (m !== undefined && m !== '100644' && m !== '100755') return undefined;
    }
    for (const d of dirs) {
      if (!this.mode.has(d)) return undefined;
      const m = this.mode.get(d);
      if (m !== undefined && m !== '040000') return undefined;
    }
    const createdMode = new Map<string, '100644' | '100755'>();
    const changedMode = new Map<string, '100644' | '100755'>();
    for (const f of patch.files) {
      if ((f.isRename || f.isCopy) && f.oldPath !== null && f.newPath !== null && f.oldPath !== f.newPath) {
        // A rename or copy of a regular file: the destination takes the source's mode, or the
        // patch's new mode when it changes it (GNU patch chmods it; git apply only warns when
        // the source's mode is not the patch's old mode).
        const mode = this.mode.get((reverse ? f.newPath : f.oldPath)!);
        if (mode !== '100644' && mode !== '100755') return undefined;
        const to = f.oldMode !== undefined || f.newMode !== undefined ? (reverse ? f.oldMode : f.newMode) : mode;
        if (to !== '100644' && to !== '100755') return undefined;
        createdMode.set((reverse ? f.oldPath : f.newPath)!, to);
        continue;
      }
      if (f.isRename || f.isCopy) return undefined;
      const creates = reverse ? f.isDelete : f.isNew;
      const deletes = reverse ? f.isNew : f.isDelete;
      const made = reverse ? f.oldMode : f.newMode;
      if (creates) {
        if (made !== undefined && made !== '100644' && made !== '100755') return undefined;
        createdMode.set((reverse ? f.oldPath : f.newPath)!, made === '100755' ? '100755' : '100644');
      } else if (!deletes && (f.oldMode !== undefined || f.newMode !== undefined)) {
        // A regular file made executable or not (GNU patch chmods it; git apply only warns
        // when the file's mode is not the patch's old mode, as here).
        const to = reverse ? f.oldMode : f.newMode;
        const now = this.mode.get(f.oldPath!);
        if ((to !== '100644' && to !== '100755') || (now !== '100644' && now !== '100755')) return undefined;
        changedMode.set(f.oldPath!, to);
      }
    }
    const r = applyPatch((p) => this.content.get(p), patch, { reverse, maxFuzz: 2 });
    if (r.outcome.kind === 'fails') return failureOf(r.outcome.failed);
    const fuzz = (r.outcome.kind === 'fuzz' ? r.outcome.fuzz : 0) as 0 | 1 | 2; // at most maxFuzz
    const out: TreeChanges = new Map();
    for (const [path, content] of r.changes) {
      const before = this.mode.get(path);
      if (content === null) {
        if (before === undefined) return undefined;
        out.set(path, null);
        continue;
      }
      if (before === undefined) {
        // Only a section that says it creates the file (or moves or copies one there) may create
        // it (git's rule).
        const mode = createdMode.get(path);
        if (!mode) return undefined;
        out.set(path, { content, mode });
      } else {
        out.set(path, { content, mode: changedMode.get(path) ?? (before as '100644' | '100755') });
      }
    }
    for (const [path, mode] of changedMode) {
      if (out.has(path)) continue;
      const content = this.content.get(path);
      if (content === undefined) return undefined;
      out.set(path, { content, mode });
    }
    return { kind: 'applied', changes: out, fuzz };
  }

  /** Take an applied patch's changes into the state (objects git wrote are read back). */
  async record(store: TreeStore, changes: TreeChanges): Promise<void> {
    const written = [...changes].filter((e): e is [string, { oid: string; mode: Mode }] => e[1] !== null && 'oid' in e[1]);
    const got = await readBlobs(
      store,
      written.map(([, c]) => c.oid),
    );
    const readBack = new Map(written.map(([p], i) => [p, got[i]]));
    for (const [path, c] of changes) {
      this.content.set(path, c === null ? undefined : 'oid' in c ? (c.mode === '100644' || c.mode === '100755' ? readBack.get(path) : undefined) : c.content);
      this.mode.set(path, c === null ? undefined : c.mode);
      if (c !== null) for (const d of parentsOf(path)) this.mode.set(d, '040000');
    }
  }

  /** Is the state of `path` known (loaded, or made by the series)? */
  knows(path: string): boolean {
    return this.mode.has(path);
  }

  /**
   * The patch applied by `git apply --cached` on an index holding only the entries the patch
   * names (and any file or symlink where it names a directory): git's semantics, without a
   * whole-tree index. `tree` must be the store's tree for this state. undefined when git
   * refuses it there or touched a path whose state is unknown: the whole-tree index decides.
   */
  async applyWithGit(
    store: TreeStore,
    tree: string,
    patch: ParsedPatch,
    text: Buffer,
    strip: number,
    reverse: boolean,
    attempts: Array<{ fuzz: 0 | 1 | 2; flags: string[] }>,
  ): Promise<{ fuzz: 0 | 1 | 2; changes: TreeChanges } | undefined> {
    const { files, dirs } = namedPaths(patch);
    const named = [...files, ...dirs];
    if (!named.every((p) => usablePath(p) && this.knows(p))) return undefined;
    const index = await scratchPath(store, 'small.index');
    const env = { GIT_INDEX_FILE: index };
    try {
      const ls = await git(store.gitDir, ['--literal-pathspecs', 'ls-tree', '-z', '--full-tree', tree, '--', ...named.map(argOf)], { byteString: true });
      const entries = ls.stdout.split('\0').filter((e) => e && !e.startsWith('040000 '));
      await git(store.gitDir, ['update-index', '-z', '--index-info'], { env, input: bytesOf(entries.map((e) => e + '\0').join('')) });
      const before = await stagedEntries(store, env);
      let fuzz: 0 | 1 | 2 | undefined;
      for (const a of attempts) {
        const args = ['apply', '--cached', '--whitespace=nowarn', '--allow-empty', `-p${strip}`, ...(reverse ? ['-R'] : []), ...a.flags];
        if ((await git(store.gitDir, args, { env, input: text, allowFail: true })).code === 0) {
          fuzz = a.fuzz;
          break;
        }
      }
      if (fuzz === undefined) return undefined;
      const after = await stagedEntries(store, env);
      const changes: TreeChanges = new Map();
      for (const [path, e] of after) {
        const was = before.get(path);
        if (!was || was.oid !== e.oid || was.mode !== e.mode) changes.set(path, e);
      }
      for (const path of before.keys()) if (!after.has(path)) changes.set(path, null);
      for (const path of changes.keys()) if (!this.knows(path)) return undefined;
      return { fuzz, changes };
    } finally {
      await rm(index, { force: true });
    }
  }
}

/** The entries of an index: path -> mode and object id. */
async function stagedEntries(store: TreeStore, env: Record<string, string>): Promise<Map<string, { oid: string; mode: Mode }>> {
  const r = await git(store.gitDir, ['ls-files', '-s', '-z'], { env, byteString: true });
  const out = new Map<string, { oid: string; mode: Mode }>();
  for (const e of r.stdout.split('\0')) {
    const m = /^(\d{6}) ([0-9a-f]+) \d\t(.*)$/s.exec(e);
    if (m) out.set(m[3]!, { oid: m[2]!, mode: m[1] as Mode });
  }
  return out;
}

/** Paths the fast path can name to git exactly (ls-tree takes arguments as UTF-8). */
function usablePath(p: string): boolean {
  return p !== '' && isUtf8(p) && !/[\n\r]/.test(p) && !p.split('/').some((c) => c === '.' || c === '..' || c === '');
}

/** Blob contents (byte strings) by object id, through one `git cat-file --batch`. */
async function readBlobs(store: TreeStore, oids: string[]): Promise<Array<string | undefined>> {
  if (!oids.length) return [];
  const r = await git(store.gitDir, ['cat-file', '--batch'], { input: oids.join('\n') + '\n', binary: true });
  const buf = r.stdoutBuffer!;
  const out: Array<string | undefined> = [];
  let pos = 0;
  for (const oid of oids) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) throw new Error(`git cat-file --batch: output ended early (at ${oid})`);
    const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(buf.subarray(pos, nl).toString('utf8'));
    pos = nl + 1;
    if (!m) {
      out.push(undefined);
      continue;
    }
    const size = Number(m[2]);
    out.push(m[1] === 'blob' ? byteString(buf.subarray(pos, pos + size)) : undefined);
    pos += size + 1;
  }
  return out;
}

/** git's identity cleaning (ident.c): no "crud" at either end, no newline or angle brackets inside. */
export function gitIdentPart(s: string): string {
  const crud = (c: string) => c <= ' ' || ',:;<>"\\\''.includes(c);
  let a = 0;
  let b = s.length;
  while (a < b && crud(s[a]!)) a++;
  while (b > a && crud(s[b - 1]!)) b--;
  return s.slice(a, b).replace(/[\n<>]/g, '');
}

/** A fast-import path: C-quoted when git would misread it; bytes kept as they are. */
function quotedPath(p: string): string {
  if (!/["\\\x00-\x1f\x7f]/.test(p) && !p.startsWith('"')) return p;
  let out = '"';
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c < 0x20 || c === 0x7f) out += '\\' + c.toString(8).padStart(3, '0');
    else out += p[i];
  }
  return out + '"';
}

export interface ChainCommit {
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
  message: string;
  changes: TreeChanges;
}

/**
 * One `git fast-import` writing a chain of commits on `parent`. Commits are named by marks until
 * `finish`, which waits for fast-import to write its pack and returns each commit and tree id.
 * Killed half-way, it leaves only an unfinished temporary pack (git ignores it) and no ref.
 */
export class CommitChain {
  private marks = 0;
  private readonly commitMarks: number[] = [];
  private stderr = '';
  private constructor(
    private readonly store: TreeStore,
    private readonly fi: Child,
    private readonly marksFile: string,
    private readonly ref: string,
    private from: string,
  ) {}

  static async open(store: TreeStore, parent: string): Promise<CommitChain> {
    const marksFile = await scratchPath(store, 'chain.marks');
    const ref = `refs/tiny/chain/${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    let chain: CommitChain | undefined;
    // --depth=0 and compression 1, as for imports: the blobs are few and unrelated.
    const fi = start('git', ['--git-dir', store.gitDir, '-c', 'pack.compression=1', 'fast-import', '--quiet', '--done', '--depth=0', `--export-marks=${marksFile}`], {
      env: gitEnv(),
      stdin: 'pipe',
      stdout: 'ignore',
      onStderr: (b) => {
        if (chain) chain.stderr += b.toString();
      },
    });
    chain = new CommitChain(store, fi, marksFile, ref, parent);
    return chain;
  }

  private async write(chunk: Buffer | string): Promise<void> {
    const stdin = this.fi.stdin!;
    if (!stdin.write(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk)) await new Promise((r) => stdin.once('drain', r));
  }

  /** Queue one commit on the previous one (or the chain's parent). */
  async commit(c: ChainCommit): Promise<void> {
    const lines: string[] = [];
    for (const [path, change] of c.changes) {
      if (change === null) {
        lines.push(`D ${quotedPath(path)}\n`);
        continue;
      }
      if ('oid' in change) {
        lines.push(`M ${change.mode} ${change.oid} ${quotedPath(path)}\n`);
        continue;
      }
      const mark = ++this.marks;
      const data = bytesOf(change.content);
      await this.write(`blob\nmark :${mark}\ndata ${data.length}\n`);
      await this.write(data);
      await this.write('\n');
      lines.push(`M ${change.mode} :${mark} ${quotedPath(path)}\n`);
    }
    const mark = ++this.marks;
    const msg = Buffer.from(c.message, 'utf8');
    const ident = (who: { name: string; email: string; date: string }) => Buffer.from(`${gitIdentPart(who.name)} <${gitIdentPart(who.email)}> ${who.date}`, 'utf8').toString('latin1');
    await this.write(`commit ${this.ref}\nmark :${mark}\nauthor ${ident(c.author)}\ncommitter ${ident(c.committer)}\ndata ${msg.length}\n`);
    await this.write(msg);
    // A chain opened on no parent ('') starts with a root commit.
    if (this.from) await this.write(`from ${this.from}\n`);
    for (const l of lines) await this.write(l);
    await this.write('\n');
    this.commitMarks.push(mark);
    this.from = `:${mark}`;
  }

  /** End the stream; the commits in order, with their trees. */
  async finish(): Promise<Array<{ commit: string; tree: string }>> {
    try {
      this.fi.stdin!.end('done\n');
      const { code, signal } = await this.fi.exit;
      if (code !== 0) throw new Error(`git fast-import failed (${signal ?? `exit ${code}`}): ${this.stderr.trim().split('\n').slice(-5).join('\n')}`);
      if (!this.commitMarks.length) return [];
      const byMark = new Map<string, string>();
      for (const line of (await readFile(this.marksFile, 'utf8')).split('\n')) {
        const [m, oid] = line.split(' ');
        if (m && oid) byMark.set(m, oid);
      }
      const commits = this.commitMarks.map((m) => {
        const oid = byMark.get(`:${m}`);
        if (!oid) throw new Error(`git fast-import did not report commit :${m}`);
        return oid;
      });
      const trees = (await git(this.store.gitDir, ['rev-parse', ...commits.map((c) => `${c}^{tree}`)])).stdout.trim().split('\n');
      return commits.map((commit, i) => ({ commit, tree: trees[i]! }));
    } finally {
      await git(this.store.gitDir, ['update-ref', '-d', this.ref], { allowFail: true });
      await rm(this.marksFile, { force: true });
    }
  }

  /** Stop without writing anything usable (an error elsewhere). */
  async abandon(): Promise<void> {
    this.fi.kill('SIGKILL');
    await this.fi.exit.catch(() => undefined);
    await rm(this.marksFile, { force: true });
  }
}
