// buildSeries: apply patches one by one on a base commit, one commit per patch with
// deterministic metadata, memoized by (parent commit, patch sha256, strip, reverse, metadata) so
// re-applying a series is instant. Nothing is checked out. A patch is applied in memory by GNU
// patch's rules (fuzz up to 2, as quilt push applies it and `tiny queue check` reports it) and
// committed through one git fast-import for the run (chain.ts); the in-memory applier's failure
// is the patch's failure. Only what it does not model (symlinks, paths that are
// not UTF-8) goes through real `git apply --cached`, first on an index of only the entries it
// names, else on a whole-tree index (a scratch GIT_INDEX_FILE seeded by `git read-tree`); a
// patch that does not apply there as is is retried with less context (-C2, then -C1), git's
// nearest thing to patch(1)'s fuzz 1 and 2.

import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { bytesOf } from '../util/bytes.js';
import { TinyError } from '../util/diagnostics.js';
import { ChainFiles, CommitChain, parseForChain } from './chain.js';
import { peel, treeHashOf } from './read.js';
import { git, identityEnv, TINY_IDENT, FIXED_DATE } from './git.js';
import { objectsExist, readRecord, scratchPath, writeRecord, type TreeStore } from './store.js';

export interface SeriesPatch {
  name: string;
  /** The patch file's bytes (or a byte string of them: src/util/bytes.ts). */
  text: string | Buffer;
  strip: number;
  reverse: boolean;
  /** "Name <email>"; default "tiny <tiny@localhost>". */
  author?: string;
  /** Commit subject; default the patch name. */
  subject?: string;
  body?: string;
  /** Author date (RFC 2822, ISO 8601, or git's raw "<seconds> <+zone>"); default a fixed date. */
  date?: string;
}

export interface SeriesCommit {
  name: string;
  commit: string;
  tree: string;
  /** 0: applied as is (offsets allowed); 1 or 2: GNU patch's fuzz factor (by git apply: needed -C2 or -C1). */
  fuzz: 0 | 1 | 2;
  /** Came from the memo (nothing was applied). */
  cached: boolean;
  /** How a patch not from the memo was applied: in memory (the fast path, chain.ts) or by `git apply`. */
  appliedBy?: 'memory' | 'git-apply';
}

export interface SeriesFailure {
  name: string;
  /** Why: the in-memory applier's reasons, one per failed hunk, or git apply's stderr (from its most lenient attempt, -C1). */
  stderr: string;
  /** What failed: "init/main.c:123" (where the patch expected the hunk), "fs/nope.c: file not found", or git apply's "foo.c: does not exist in index", ... */
  hunks: string[];
}

export interface SeriesResult {
  commits: SeriesCommit[];
  /** The first patch that did not apply. */
  failure?: SeriesFailure;
  /** Every patch that did not apply (more than one only with stopOnFailure: false). */
  failures: SeriesFailure[];
}

export interface SeriesOptions {
  /** Stop at the first patch that does not apply (default). Otherwise skip it and go on. */
  stopOnFailure?: boolean;
  /** Apply every patch with `git apply` on a whole-tree index (the reference the fast path is tested against). */
  gitApplyOnly?: boolean;
  /**
   * Called once, with the commit the work starts from, when the memo does not know a patch: the
   * series has real work to do (a caller overlaps a checkout with it). Not called when every
   * patch is known.
   */
  onMiss?: (from: string) => void;
}

type SeriesRecord = { commit: string; tree: string; fuzz: 0 | 1 | 2 } | { failed: { stderr: string; hunks: string[] } };

// 2: patches that apply cleanly are applied in memory with GNU patch's semantics (chain.ts).
// 3: so are patches with fuzz, and the in-memory applier's failures are final.
// 4: so are git binary patches and renames that change the mode; a binary diff without its data
//    is refused (git apply took some of them, from a postimage the store happened to hold).
const MEMO_FORMAT = 'tiny-series-4';
const ATTEMPTS: Array<{ fuzz: 0 | 1 | 2; flags: string[] }> = [
  { fuzz: 0, flags: [] },
  { fuzz: 1, flags: ['-C2'] },
  { fuzz: 2, flags: ['-C1'] },
];

function bytes(t: string | Buffer): Buffer {
  return typeof t === 'string' ? bytesOf(t) : t;
}

export function memoKey(parent: string, p: SeriesPatch): string {
  const patchSha = createHash('sha256').update(bytes(p.text)).digest('hex');
  const id = [MEMO_FORMAT, parent, patchSha, p.strip, p.reverse, p.author ?? '', p.subject ?? '', p.body ?? '', p.date ?? '', p.name];
  return createHash('sha256').update(JSON.stringify(id)).digest('hex');
}

/** "Name <email>" -> ident parts (git refuses empty names and "<>" in them). */
export function parseAuthor(author: string | undefined): { name: string; email: string } {
  if (!author?.trim()) return { ...TINY_IDENT };
  const m = /^\s*(.*?)\s*<([^<>]*)>\s*$/.exec(author);
  let name = (m ? m[1]! : author).replace(/[<>\n]/g, '').trim();
  let email = m ? m[2]!.trim() : /@/.test(author) ? author.trim() : '';
  name = name.replace(/^"(.*)"$/, '$1');
  if (!name) name = email.split('@')[0] || 'unknown';
  if (!email) email = 'unknown@localhost';
  return { name, email };
}

/** A date as git's raw "<seconds> <+zone>", or the fixed date when it cannot be read. */
export function gitDate(date: string | undefined): string {
  if (!date?.trim()) return FIXED_DATE;
  const d = date.trim();
  if (/^\d+ [+-]\d{4}$/.test(d)) return d;
  if (/^@?\d+$/.test(d)) return `${d.replace('@', '')} +0000`;
  const ms = Date.parse(d);
  if (Number.isNaN(ms) || ms < 0) return FIXED_DATE;
  const z = /([+-])(\d\d):?(\d\d)\s*(\([^)]*\))?$/.exec(d);
  const zone = z ? `${z[1]}${z[2]}${z[3]}` : '+0000';
  return `${Math.floor(ms / 1000)} ${zone}`;
}

export function commitMessage(p: SeriesPatch): string {
  const subject = (p.subject ?? p.name).replace(/\s*\n\s*/g, ' ').trim() || p.name;
  const body = (p.body ?? '').replace(/^\s*\n/, '').trimEnd();
  return body ? `${subject}\n\n${body}\n` : `${subject}\n`;
}

/** git apply's stderr -> the hunks/files that failed. */
export function parseApplyErrors(stderr: string): string[] {
  const out: string[] = [];
  const failedFiles = new Set<string>();
  for (const line of stderr.split('\n')) {
    let m = /^error: patch failed: (.+):(\d+)$/.exec(line);
    if (m) {
      out.push(`${m[1]}:${m[2]}`);
      failedFiles.add(m[1]!);
      continue;
    }
    m = /^error: (.+): patch does not apply$/.exec(line);
    if (m) {
      if (!failedFiles.has(m[1]!)) out.push(`${m[1]}: patch does not apply`);
      continue;
    }
    m = /^error: (.+): (does not exist in index|already exists in index|No such file or directory|does not match index|wrong type|has type \d+, expected \d+)$/.exec(line);
    if (m) {
      out.push(`${m[1]}: ${m[2]}`);
      continue;
    }
    m = /^(?:error|fatal): (corrupt patch at line \d+|No valid patches in input.*|.*unrecognized input.*)$/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

export async function buildSeries(store: TreeStore, baseCommit: string, patches: SeriesPatch[], opts: SeriesOptions = {}): Promise<SeriesResult> {
  const first = await build(store, baseCommit, patches, opts, true);
  if (first) return first;
  // A memoized commit is missing from the store (a store restored from backup?): start over.
  return (await build(store, baseCommit, patches, opts, false))!;
}

async function build(store: TreeStore, baseCommit: string, patches: SeriesPatch[], opts: SeriesOptions, useMemo: boolean): Promise<SeriesResult | undefined> {
  const stop = opts.stopOnFailure ?? true;
  const baseId = await peel(store, baseCommit, 'commit');
  if (baseId === undefined) throw new TinyError(`${baseCommit} is not a commit of the tree store ${store.gitDir}`, 2);
  const baseTree = await treeHashOf(store, baseId);
  let parent = { commit: baseId, tree: baseTree };
  const commits: SeriesCommit[] = [];
  const failures: SeriesFailure[] = [];
  const unverified: string[] = []; // memo hits not yet checked to exist
  let missed = false;
  const verify = async () => {
    if (!unverified.length) return true;
    const ok = await objectsExist(store, unverified);
    unverified.length = 0;
    return ok;
  };
  const index = await scratchPath(store, 'series.index');
  const env = { GIT_INDEX_FILE: index };
  let indexTree: string | undefined;
  // The fast path (chain.ts): patches parsed once, the named files' state in memory, and the
  // commits of consecutive fast patches written by one fast-import. While a chain is open its
  // commits are known only by mark: their memo records are written once it is finished.
  const parsed = patches.map((p) => (opts.gitApplyOnly ? undefined : parseForChain(bytes(p.text), p.strip)));
  let files: ChainFiles | undefined;
  let chain: CommitChain | undefined;
  let pending: Array<{ p: SeriesPatch; fuzz: 0 | 1 | 2; appliedBy: 'memory' | 'git-apply' }> = [];
  const finishChain = async () => {
    if (!chain) return;
    const made = await chain.finish();
    chain = undefined;
    for (const [i, { p, fuzz, appliedBy }] of pending.entries()) {
      const { commit, tree } = made[i]!;
      await writeRecord(store, 'series', memoKey(parent.commit, p), { commit, tree, fuzz } satisfies SeriesRecord);
      commits.push({ name: p.name, commit, tree, fuzz, cached: false, appliedBy });
      parent = { commit, tree };
    }
    pending = [];
  };
  try {
    for (const [i, p] of patches.entries()) {
      if (!chain) {
        const key = memoKey(parent.commit, p);
        const rec = useMemo ? await readRecord<SeriesRecord>(store, 'series', key) : undefined;
        if (rec && 'failed' in rec) {
          // Known not to apply on this parent (both appliers are deterministic).
          failures.push({ name: p.name, ...rec.failed });
          if (stop) break;
          continue;
        }
        if (rec) {
          unverified.push(rec.commit);
          commits.push({ name: p.name, commit: rec.commit, tree: rec.tree, fuzz: rec.fuzz, cached: true });
          parent = { commit: rec.commit, tree: rec.tree };
          files = undefined;
          continue;
        }
        if (!(await verify())) return undefined;
        if (!missed) {
          missed = true;
          opts.onMiss?.(parent.commit);
        }
      }
      const patch = parsed[i];
      if (patch) {
        files ??= await ChainFiles.load(store, parent.tree, parsed.slice(i));
        const inMemory = files.tryApply(patch, p.reverse);
        if (inMemory?.kind === 'applied') {
          const { changes } = inMemory;
          chain ??= await CommitChain.open(store, parent.commit);
          const author = { ...parseAuthor(p.author), date: gitDate(p.date) };
          await chain.commit({ author, committer: { ...TINY_IDENT, date: author.date }, message: commitMessage(p), changes });
          await files.record(store, changes);
          pending.push({ p, fuzz: inMemory.fuzz, appliedBy: 'memory' });
          continue;
        }
        if (inMemory?.kind === 'failed') {
          // Does not apply (as quilt push would say): the commits so far first, so the failure
          // is recorded on a known parent; nothing changed, the chain's state stays as it is.
          await finishChain();
          const failed = { stderr: inMemory.message, hunks: inMemory.hunks };
          await writeRecord(store, 'series', memoKey(parent.commit, p), { failed } satisfies SeriesRecord);
          failures.push({ name: p.name, ...failed });
          if (stop) break;
          continue;
        }
      }
      // git apply decides: the chain so far must be in the store first.
      await finishChain();
      if (patch && files) {
        // On an index of the few entries the patch names; its commit joins a new chain.
        const small = await files.applyWithGit(store, parent.tree, patch, bytes(p.text), p.strip, p.reverse, ATTEMPTS);
        if (small) {
          chain = await CommitChain.open(store, parent.commit);
          const author = { ...parseAuthor(p.author), date: gitDate(p.date) };
          await chain.commit({ author, committer: { ...TINY_IDENT, date: author.date }, message: commitMessage(p), changes: small.changes });
          await files.record(store, small.changes);
          pending.push({ p, fuzz: small.fuzz, appliedBy: 'git-apply' });
          continue;
        }
      }
      // Not applied there (or a path of unknown state): git apply on an index of the whole tree.
      files = undefined;
      const key = memoKey(parent.commit, p);
      if (indexTree !== parent.tree) {
        await git(store.gitDir, ['read-tree', parent.tree], { env });
        indexTree = parent.tree;
      }
      const text = bytes(p.text);
      let applied: 0 | 1 | 2 | undefined;
      let stderr = '';
      for (const a of ATTEMPTS) {
        const args = ['apply', '--cached', '--whitespace=nowarn', '--allow-empty', `-p${p.strip}`, ...(p.reverse ? ['-R'] : []), ...a.flags];
        const r = await git(store.gitDir, args, { env, input: text, allowFail: true });
        if (r.code === 0) {
          applied = a.fuzz;
          break;
        }
        stderr = r.stderr;
      }
      if (applied === undefined) {
        const failed = { stderr, hunks: parseApplyErrors(stderr) };
        await writeRecord(store, 'series', key, { failed } satisfies SeriesRecord);
        failures.push({ name: p.name, ...failed });
        if (stop) break;
        continue; // git apply is all-or-nothing: the index still holds the parent's tree
      }
      const tree = (await git(store.gitDir, ['write-tree'], { env })).stdout.trim();
      indexTree = tree;
      const author = { ...parseAuthor(p.author), date: gitDate(p.date) };
      const committer = { ...TINY_IDENT, date: author.date };
      const commit = (await git(store.gitDir, ['commit-tree', tree, '-p', parent.commit], { input: commitMessage(p), env: identityEnv(author, committer) })).stdout.trim();
      await writeRecord(store, 'series', key, { commit, tree, fuzz: applied } satisfies SeriesRecord);
      commits.push({ name: p.name, commit, tree, fuzz: applied, cached: false, appliedBy: 'git-apply' });
      parent = { commit, tree };
    }
    await finishChain();
    if (!(await verify())) return undefined;
  } finally {
    if (chain) await (chain as CommitChain).abandon();
    await rm(index, { force: true });
  }
  return { commits, failures, ...(failures[0] ? { failure: failures[0] } : {}) };
}
