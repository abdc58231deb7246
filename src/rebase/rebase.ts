// `tiny queue rebase`: forward-port the queue onto a new base with git's 3-way merge.
//
// The queue is applied on its own base in the tree store (one commit per patch); each commit
// is then cherry-picked, in series order, in a scratch worktree of the store checked out at the
// new base. Cherry-pick merges with the patch's old parent as the merge base, so a patch whose
// context moved or changed around it still lands where it belongs. Per patch:
//   clean     the patch text applies on the new base as it is (no offset, no fuzz)
//   merged    it needed offsets or the 3-way merge, which succeeded
//   upstream  the new base already has the change (the cherry-pick is empty)
//   conflict  the merge conflicts: the rebase stops in the worktree, with instructions;
//             `--continue` takes the resolution, `--abort` forgets the rebase.
// The queue itself is only written when every patch is through, and the patches are
// regenerated for the new base (as refresh does). Two ways to write them:
//   add   (default) the queue adds the new base and keeps every base it claimed: a patch whose
//         file applies on the new base as it is (exactly or with an offset) claims it too; a
//         patch whose port differs gets a per-base variant, patches/<new version>/..., with its
//         own entry (`bases: [new]`) beside the one it came from; a patch the new base already
//         has does not claim it. The old files are not touched.
//   move  (--move) the queue moves to the new base: patches are rewritten in place, base:
//         becomes the new base, and the old base (and any other under bases:) stays claimed
//         only where every patch meant for it still applies in order once rewritten — checked
//         as `tiny queue check` does; a base where one fails is dropped, and said.
// Until then the state lives in the cache (rebase/<key>.json), and the user's queue is as it was.

import { createHash } from 'node:crypto';
import { mkdir, readFile, realpath, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadQueue } from '../queue/load.js';
import type { BaseDoc, SourceDoc } from '../queue/doc.js';
import type { Queue, QueuePatch } from '../queue/types.js';
import { checkBase, meantFor } from '../merge/check.js';
import { pathsOf } from '../merge/state.js';
import { parsePatch } from '../patch/parse.js';
import { resolveBases } from '../pipeline/bases.js';
import { FIXED_DATE, git, gitIn } from '../tree/git.js';
import { buildSeries, materialize, readFiles, removeWorktree, worktreeFor, worktreeState, type TreeStore } from '../tree/index.js';
import { bytesOf, displayText } from '../util/bytes.js';
import { TinyError } from '../util/diagnostics.js';
import { exists, writeFileAtomic } from '../util/fs.js';
import { addBaseToQueueYaml, rebaseQueueYamlWithDrops, variantFile, type Carry } from './queuefile.js';
import { applyExactly, regeneratePatch, type Regenerated } from './regenerate.js';
import { seriesPatchOf } from './refresh.js';
import { conflictHelp, declaredOptions, parseDeclarations, portHow, withPortRecord, type ConflictHelp } from './help.js';
import { splitPatch } from './patchfile.js';

export type PatchStatus = 'clean' | 'merged' | 'upstream' | 'conflict';
export type RebaseMode = 'add' | 'move';

export interface BaseRef {
  version: string;
  commit: string;
  tree: string;
}

export interface RebaseState {
  format: 'tiny-rebase-1';
  queueDir: string;
  /** sha256 over queue.yaml and every patch file: --continue refuses if the queue changed. */
  queueDigest: string;
  worktree: string;
  /** The worktree is tiny's own scratch space (removed when the rebase ends). */
  ownWorktree: boolean;
  /** add: the queue claims the new base beside the old ones (per-base variants); move: it leaves the old base. Absent: move (states written before there was a choice). */
  mode?: RebaseMode;
  from: BaseRef;
  onto: BaseRef & { base: BaseDoc };
  patches: Array<{
    name: string;
    oldCommit: string;
    status?: PatchStatus;
    detail?: string;
    newCommit?: string;
    /** Kconfig options the patch adds that the new base already declares ("CONFIG_X (file:line)"). */
    upstream?: Array<{ symbol: string; file: string; line: number }>;
  }>;
  /** Index of the patch being picked (the conflicted one while stopped). */
  next: number;
  conflict?: { name: string; files: string[]; help?: ConflictHelp[] };
}

export interface RebaseOutcome {
  state: RebaseState;
  /** Set when the rebase is finished: the patches as rewritten. */
  rewritten?: Regenerated[];
  /** Bases no longer claimed: a rewritten patch fails there in order (the patches named). */
  droppedBases?: Array<{ version: string; failing: string[] }>;
  /** Patches that left the series: meant only for dropped bases (their files stay). */
  droppedPatches?: string[];
  /** Mode add: how each patch was carried to the new base (its file as it is, a variant, or not: upstream). */
  carried?: Array<{ name: string; carry: Carry }>;
}

const COMMITTER = { GIT_COMMITTER_NAME: 'tiny', GIT_COMMITTER_EMAIL: 'tiny@localhost', GIT_COMMITTER_DATE: `@${FIXED_DATE}` };

async function queueKey(queueDir: string): Promise<string> {
  const real = await realpath(queueDir).catch(() => queueDir);
  return createHash('sha256').update(real).digest('hex').slice(0, 16);
}

export async function statePath(store: TreeStore, queueDir: string): Promise<string> {
  return join(store.cacheDir, 'rebase', `${await queueKey(queueDir)}.json`);
}

export async function readState(store: TreeStore, queueDir: string): Promise<RebaseState | undefined> {
  try {
    return JSON.parse(await readFile(await statePath(store, queueDir), 'utf8')) as RebaseState;
  } catch {
    return undefined;
  }
}

async function saveState(store: TreeStore, s: RebaseState): Promise<void> {
  await writeFileAtomic(await statePath(store, s.queueDir), JSON.stringify(s, null, 2) + '\n');
}

export function queueDigest(q: Queue, yamlText: string): string {
  const h = createHash('sha256').update(yamlText);
  for (const p of q.series) h.update(`\0${p.file}\0${p.sha256}`);
  return h.digest('hex');
}

/** How a --tree path is written into queue.yaml: ~/ for the home directory, as users write it. */
export function sourceDocFor(path: string): SourceDoc {
  const home = homedir();
  return { path: path === home || path.startsWith(home + '/') ? '~' + path.slice(home.length) : path };
}

export interface StartOptions {
  from: BaseRef;
  onto: BaseRef & { base: BaseDoc };
  /** Where to stop on a conflict (default: a scratch worktree in the cache). */
  worktree?: string;
  /** add (default): claim the new base beside the old ones; move: leave the old base. */
  mode?: RebaseMode;
}

export async function startRebase(store: TreeStore, q: Queue, opts: StartOptions): Promise<RebaseOutcome> {
  const existing = await readState(store, q.dir);
  if (existing) {
    throw new TinyError(
      `a rebase of ${q.dir} onto ${existing.onto.version} is in progress` + (existing.conflict ? ` (stopped at ${existing.conflict.name})` : ''),
      2,
      [],
      'finish it with `tiny queue rebase --continue`, or drop it with `tiny queue rebase --abort`',
    );
  }
  if (opts.from.tree === opts.onto.tree) {
    throw new TinyError(`the new base is the queue's own base (${opts.from.version}, tree ${opts.from.tree.slice(0, 12)}): nothing to rebase`, 2);
  }
  const mode = opts.mode ?? 'add';
  const patches = q.series.filter((p) => meantFor(p, opts.from.version));
  if (mode === 'add') refuseExistingVariants(q, patches, opts.from.version, opts.onto.version);
  const old = await buildSeries(store, opts.from.commit, patches.map(seriesPatchOf), { stopOnFailure: true });
  if (old.failure) {
    throw new TinyError(
      `patch ${old.failure.name} does not apply on the queue's base ${opts.from.version}: ${old.failure.hunks.join(', ')}`,
      1,
      [],
      'a rebase starts from a queue that applies on its base: fix it first (`tiny queue check`, `tiny queue refresh`)',
    );
  }
  const ownWorktree = opts.worktree === undefined;
  const worktree = opts.worktree ?? worktreeFor(store, `rebase-${await queueKey(q.dir)}`);
  await materialize(store, opts.onto.commit, worktree, { force: ownWorktree });
  const state: RebaseState = {
    format: 'tiny-rebase-1',
    queueDir: q.dir,
    queueDigest: queueDigest(q, await readFile(q.file, 'utf8')),
    worktree,
    ownWorktree,
    mode,
    from: opts.from,
    onto: opts.onto,
    patches: old.commits.map((c) => ({ name: c.name, oldCommit: c.commit })),
    next: 0,
  };
  await saveState(store, state);
  return pickAll(store, q, state);
}

/**
 * Adding a base gives a ported patch an entry of its own for that base: refused when the queue
 * already has an entry of that name for the new base that is not the one being carried (a port
 * made earlier), since the queue would then name the patch twice there.
 */
function refuseExistingVariants(q: Queue, carried: QueuePatch[], from: string, onto: string): void {
  const names = new Set(carried.map((p) => p.name));
  const clash = q.series.filter((p) => names.has(p.name) && !meantFor(p, from) && meantFor(p, onto)).map((p) => `${p.name} (${p.file})`);
  if (!clash.length) return;
  throw new TinyError(
    `the queue already has patches for ${onto} of its own: ${clash.join(', ')}`,
    2,
    [],
    `a rebase adds a base the queue does not carry its patches to yet; to redo those ports, remove their ${onto} entries first (or --move the whole queue)`,
  );
}

async function loadChecked(store: TreeStore, queueDir: string): Promise<{ q: Queue; state: RebaseState }> {
  const state = await readState(store, queueDir);
  if (!state) throw new TinyError(`no rebase of ${queueDir} is in progress`, 2, [], 'start one with `tiny queue rebase --onto VERSION` or `--tree DIR`');
  const q = await loadQueue(state.queueDir);
  if (queueDigest(q, await readFile(q.file, 'utf8')) !== state.queueDigest) {
    throw new TinyError(
      `the queue changed since the rebase started (queue.yaml or a patch file was edited)`,
      2,
      [],
      'resolve conflicts in the rebase worktree, not in the queue; or `tiny queue rebase --abort` and start again',
    );
  }
  return { q, state };
}

export async function continueRebase(store: TreeStore, queueDir: string): Promise<RebaseOutcome> {
  const { q, state } = await loadChecked(store, queueDir);
  if (state.conflict) {
    const wt = state.worktree;
    const current = state.patches[state.next]!;
    const parent = state.next === 0 ? state.onto.commit : state.patches[state.next - 1]!.newCommit!;
    const unmerged = (await gitIn(wt, ['diff', '--name-only', '--diff-filter=U'])).stdout.trim();
    if (unmerged) {
      throw new TinyError(
        `${current.name}: still unresolved in ${wt}: ${unmerged.split('\n').join(', ')}`,
        1,
        [],
        `edit those files (remove the <<<<<<< ||||||| ======= >>>>>>> markers), \`git -C ${wt} add\` them, then \`tiny queue rebase --continue\``,
      );
    }
    const picking = (await gitIn(wt, ['rev-parse', '-q', '--verify', 'CHERRY_PICK_HEAD'], { allowFail: true })).code === 0;
    if (picking) {
      const unstaged = (await gitIn(wt, ['diff', '--name-only'])).stdout.trim();
      if (unstaged) {
        throw new TinyError(`${current.name}: changes in ${wt} are not staged: ${unstaged.split('\n').join(', ')}`, 1, [], `\`git -C ${wt} add\` them (or \`git checkout\` them), then --continue`);
      }
      await refuseMarkers(wt, current.name, parent, state.conflict.files, 'staged');
      const staged = (await gitIn(wt, ['diff', '--cached', '--quiet'], { allowFail: true })).code !== 0;
      if (!staged) {
        // Resolved to nothing: the new base already does what the patch did.
        await gitIn(wt, ['cherry-pick', '--skip'], { env: COMMITTER });
        Object.assign(current, { status: 'upstream', detail: 'resolved to no change', newCommit: parent });
      } else {
        await gitIn(wt, ['-c', 'core.editor=true', 'cherry-pick', '--continue'], { env: COMMITTER });
        const head = (await gitIn(wt, ['rev-parse', 'HEAD'])).stdout.trim();
        Object.assign(current, { status: 'conflict', detail: 'resolved by hand', newCommit: head });
      }
    } else {
      // The user committed the resolution themselves (git cherry-pick --continue, git commit).
      const head = (await gitIn(wt, ['rev-parse', 'HEAD'])).stdout.trim();
      const headParent = (await gitIn(wt, ['rev-parse', '-q', '--verify', 'HEAD^'], { allowFail: true })).stdout.trim();
      if (head === parent) {
        throw new TinyError(
          `${current.name}: the cherry-pick in ${wt} was abandoned and nothing was committed`,
          1,
          [],
          `pick it again: \`git -C ${wt} cherry-pick ${current.oldCommit.slice(0, 12)}\`, resolve, then --continue; or --abort`,
        );
      }
      if (headParent !== parent) {
        throw new TinyError(
          `${current.name}: HEAD of ${wt} is not one commit on top of the previous patch`,
          1,
          [],
          'leave exactly one commit for the conflicted patch (git reset --soft, git commit), then --continue',
        );
      }
      const dirty = (await gitIn(wt, ['status', '--porcelain', '--untracked-files=no'])).stdout.trim();
      if (dirty) throw new TinyError(`${current.name}: ${wt} has uncommitted changes besides the commit`, 1, [], 'commit them into that commit (git commit --amend) or discard them, then --continue');
      await refuseMarkers(wt, current.name, parent, state.conflict.files, 'committed');
      Object.assign(current, { status: 'conflict', detail: 'resolved by hand', newCommit: head });
    }
    delete state.conflict;
    state.next++;
    await saveState(store, state);
  }
  return pickAll(store, q, state);
}

/**
 * Refuse a resolution that still holds conflict markers: git's own check (`git diff --check`:
 * a line of seven '<', '|', '=' or '>' then a space or the end of the line, added since the
 * previous patch) on the files that conflicted, as staged for the pick or as committed. The
 * rebase stays where it is: fix the lines, stage (or amend), --continue again.
 */
async function refuseMarkers(wt: string, patch: string, parent: string, files: string[], where: 'staged' | 'committed'): Promise<void> {
  if (!files.length) return;
  const range = where === 'staged' ? ['--cached', parent] : [parent, 'HEAD'];
  const r = await gitIn(wt, ['-c', 'core.quotePath=false', 'diff', '--check', ...range, '--', ...files], { allowFail: true });
  const found = [...r.stdout.matchAll(/^(.+):(\d+): leftover conflict marker$/gm)].map((m) => ({ file: m[1]!, line: Number(m[2]) }));
  if (!found.length) return;
  // Each line as it is in the resolution (bytes, shown as text).
  const text = new Map<string, string[]>();
  for (const f of new Set(found.map((m) => m.file))) {
    const blob = await gitIn(wt, ['cat-file', 'blob', `${where === 'staged' ? '' : 'HEAD'}:${f}`], { allowFail: true, byteString: true });
    text.set(f, blob.code === 0 ? blob.stdout.split('\n') : []);
  }
  const markers = found.map((m) => `${wt}/${m.file}:${m.line}: ${displayText(text.get(m.file)?.[m.line - 1] ?? '').trimEnd()}`);
  const list = markers.length > 12 ? [...markers.slice(0, 12), `... and ${markers.length - 12} more`] : markers;
  throw new TinyError(
    `${patch}: conflict markers are still in the ${where} resolution (${markers.length} line${markers.length === 1 ? '' : 's'}):\n  ${list.join('\n  ')}`,
    1,
    [],
    where === 'staged'
      ? `edit those lines: keep what the patch must do, remove the <<<<<<< ||||||| ======= >>>>>>> lines; \`git -C ${wt} add\` the files, then \`tiny queue rebase --continue\` (the rebase is where it was)`
      : `edit those lines: keep what the patch must do, remove the <<<<<<< ||||||| ======= >>>>>>> lines; \`git -C ${wt} commit --amend -a\`, then \`tiny queue rebase --continue\` (the rebase is where it was)`,
  );
}

export async function abortRebase(store: TreeStore, queueDir: string): Promise<RebaseState> {
  const state = await readState(store, queueDir);
  if (!state) throw new TinyError(`no rebase of ${queueDir} is in progress`, 2);
  await dropWorktree(store, state);
  await rm(await statePath(store, queueDir), { force: true });
  return state;
}

async function dropWorktree(store: TreeStore, state: RebaseState): Promise<void> {
  if ((await worktreeState(store, state.worktree)) !== 'ours') return;
  if (state.ownWorktree) {
    await removeWorktree(store, state.worktree);
  } else {
    // The user's --out directory: stop the cherry-pick, keep the directory.
    await gitIn(state.worktree, ['cherry-pick', '--abort'], { allowFail: true });
  }
}

/** The queue's entry of that name meant for `version` (per-base variants share a name). */
function patchOf(q: Queue, name: string, version: string): QueuePatch {
  const p = q.series.find((x) => x.name === name && meantFor(x, version));
  if (!p) throw new Error(`patch ${name} vanished from the queue`);
  return p;
}

/** The Kconfig options the patch adds (and its own option) that `commit` already declares. */
async function declaredUpstream(store: TreeStore, commit: string, p: QueuePatch): Promise<Array<{ symbol: string; file: string; line: number }>> {
  const symbols = [...new Set([...declaredOptions(p.parsed), ...(p.option ? [p.option] : [])])];
  if (!symbols.length) return [];
  const r = await git(store.gitDir, ['grep', '-n', '-E', `^[[:space:]]*(menu)?config[[:space:]]+(${symbols.join('|')})[[:space:]]*$`, commit, '--', '*Kconfig*'], { allowFail: true });
  return parseDeclarations(r.stdout, symbols);
}

/** Pick patches from state.next on; stop at a conflict; finish when all are through. */
async function pickAll(store: TreeStore, q: Queue, state: RebaseState): Promise<RebaseOutcome> {
  const wt = state.worktree;
  // Where the worktree must be: on the last patch picked. After an interrupted run (killed
  // between a pick and saving the state) it may be one commit further: go back and pick again.
  let parent = state.next === 0 ? state.onto.commit : state.patches[state.next - 1]!.newCommit!;
  if ((await gitIn(wt, ['rev-parse', 'HEAD'])).stdout.trim() !== parent) {
    await gitIn(wt, ['cherry-pick', '--abort'], { allowFail: true });
    await gitIn(wt, ['reset', '--quiet', '--hard', parent]);
  }
  while (state.next < state.patches.length) {
    const entry = state.patches[state.next]!;
    const p = patchOf(q, entry.name, state.from.version);
    const asText = await applyExactly(store, parent, p);
    const r = await gitIn(wt, ['-c', 'merge.conflictStyle=diff3', 'cherry-pick', '--allow-empty', '--keep-redundant-commits', entry.oldCommit], {
      env: COMMITTER,
      allowFail: true,
    });
    // Options the patch adds that the new base (before the patch) already has: said beside the
    // result, whether the merge conflicts or not (a clean merge then declares them twice).
    const upstream = await declaredUpstream(store, state.onto.commit, p);
    if (upstream.length) entry.upstream = upstream;
    else delete entry.upstream;
    if (r.code !== 0) {
      const files = (await gitIn(wt, ['diff', '--name-only', '--diff-filter=U'])).stdout.split('\n').filter(Boolean);
      if (!files.length) throw new TinyError(`${entry.name}: git cherry-pick failed in ${wt}: ${r.stderr.trim() || r.stdout.trim()}`, 2);
      Object.assign(entry, { status: 'conflict', detail: `${files.length} conflicted file${files.length === 1 ? '' : 's'}` });
      // The file as the merge left it, bytes as a byte string (never decoded).
      const texts = await Promise.all(files.map(async (file) => ({ file, text: await readFile(join(wt, file), 'latin1').catch(() => '') })));
      state.conflict = { name: entry.name, files, help: conflictHelp(p.parsed, texts) };
      await saveState(store, state);
      return { state };
    }
    const [head, headTree, parentTree, oldTree, oldParentTree] = (
      await gitIn(wt, ['rev-parse', 'HEAD', 'HEAD^{tree}', `${parent}^{tree}`, `${entry.oldCommit}^{tree}`, `${entry.oldCommit}^^{tree}`])
    ).stdout
      .trim()
      .split('\n');
    if (headTree === parentTree && oldTree !== oldParentTree) {
      await gitIn(wt, ['reset', '--quiet', '--hard', parent]);
      Object.assign(entry, { status: 'upstream', detail: `${state.onto.version} already has this change`, newCommit: parent });
    } else if (asText && !asText.moved) {
      Object.assign(entry, { status: 'clean', newCommit: head });
    } else {
      Object.assign(entry, { status: 'merged', detail: asText ? 'offset' : '3-way merge', newCommit: head });
    }
    parent = entry.newCommit!;
    state.next++;
    await saveState(store, state);
  }
  return { state, ...(await finish(store, q, state)) };
}

/**
 * The bases besides the new one (the old base, others under bases:) where a patch meant for it
 * no longer applies in order once the patches are rewritten. A base whose tree cannot be had is
 * kept (nothing says it fails).
 */
async function failingBases(store: TreeStore, q: Queue, state: RebaseState, rewritten: Regenerated[], upstream: string[]): Promise<Array<{ version: string; failing: string[] }>> {
  const from = state.from.version;
  const onto = state.onto.version;
  const versions = [...new Set([from, ...q.otherBases.map((b) => b.version)])].filter((v) => v !== onto);
  const out: Array<{ version: string; failing: string[] }> = [];
  for (const version of versions) {
    const commit = version === from ? state.from.commit : (await resolveBases(q, store, store.cacheDir, { versions: [version] }).catch(() => undefined))?.[0]?.commit;
    if (!commit) continue;
    // Each patch as queue.yaml will say it: its rewritten text, and the bases it will claim.
    const series: QueuePatch[] = q.series.map((p) => {
      const text = rewritten.find((r) => r.name === p.name)?.text ?? p.text;
      const bases = upstream.includes(p.name) ? [from] : p.bases.length && p.bases.includes(from) && !p.bases.includes(onto) ? [...p.bases, onto] : p.bases;
      return { ...p, text, bases, parsed: text === p.text ? p.parsed : parsePatch(text, p.strip) };
    });
    const paths = new Set<string>();
    for (const p of series) for (const path of pathsOf(p.parsed)) paths.add(path);
    const check = checkBase({ version, tree: '', series, baseFiles: await readFiles(store, commit, [...paths]), pairs: false });
    const failing = check.patches.filter((p) => p.order.kind === 'fails').map((p) => p.name);
    if (failing.length) out.push({ version, failing });
  }
  return out;
}

/** Every patch is through: rewrite the patches and queue.yaml, forget the state. */
async function finish(store: TreeStore, q: Queue, state: RebaseState): Promise<Omit<RebaseOutcome, 'state'>> {
  return (state.mode ?? 'move') === 'add' ? finishAdding(store, q, state) : finishMoving(store, q, state);
}

/** The patches regenerated for the new base, with a Ported-to: record where rewritten (upstream ones left out). */
async function regenerated(store: TreeStore, q: Queue, state: RebaseState): Promise<{ rewritten: Regenerated[]; upstream: string[] }> {
  const rewritten: Regenerated[] = [];
  let before = state.onto.commit;
  const upstream: string[] = [];
  for (const entry of state.patches) {
    const p = patchOf(q, entry.name, state.from.version);
    if (entry.status === 'upstream') {
      upstream.push(entry.name);
      continue;
    }
    const r = await regeneratePatch(store, { name: p.name, file: p.file, text: p.text, strip: p.strip, reverse: p.reverse }, before, entry.newCommit!);
    // A patch rewritten for the new base records how it got there (a Ported-to: trailer).
    const how = portHow(entry.status, entry.detail);
    if (r.changed && how) {
      const parts = splitPatch(r.text);
      const header = withPortRecord(parts.header, state.onto.version, how);
      if (header !== parts.header) r.text = header + r.text.slice(parts.header.length);
    }
    rewritten.push(r);
    before = entry.newCommit!;
  }
  return { rewritten, upstream };
}

/**
 * Mode add: the new base joins the bases the queue claims. A patch that is not rewritten, or
 * only moved (it applies with an offset), claims it with its own file; any other rewrite is a
 * per-base variant under patches/<version>/. The old files stay byte for byte.
 */
async function finishAdding(store: TreeStore, q: Queue, state: RebaseState): Promise<Omit<RebaseOutcome, 'state'>> {
  const { rewritten, upstream } = await regenerated(store, q, state);
  const claimed = [q.base, ...q.otherBases].map((b) => b.version);
  const onto = state.onto.version;
  const carried: Array<{ name: string; carry: Carry }> = [];
  const writes: Array<{ path: string; text: string }> = [];
  for (const entry of state.patches) {
    if (upstream.includes(entry.name)) {
      carried.push({ name: entry.name, carry: { kind: 'upstream' } });
      continue;
    }
    const r = rewritten.find((x) => x.name === entry.name)!;
    if (!r.changed || r.why === 'position') {
      carried.push({ name: entry.name, carry: { kind: 'same' } });
      continue;
    }
    const p = patchOf(q, entry.name, state.from.version);
    const file = variantFile(p.file, onto, claimed);
    const path = join(q.dir, file);
    // Never overwrite: a file there is someone's (an earlier port, a patch of another entry) —
    // unless it is this very port, written by a run killed before queue.yaml was.
    const there = await readFile(path, 'latin1').catch(() => undefined);
    if (there !== undefined && there !== r.text) {
      throw new TinyError(
        `${entry.name}: its port to ${onto} would be written to ${path}, which exists`,
        2,
        [],
        `move that file away, then \`tiny queue rebase --continue\` (the rebase is where it was); or --abort`,
      );
    }
    carried.push({ name: entry.name, carry: { kind: 'variant', file } });
    writes.push({ path, text: r.text });
    r.file = file;
  }
  const yaml = addBaseToQueueYaml(await readFile(q.file, 'utf8'), {
    fromVersion: state.from.version,
    newBase: state.onto.base,
    claimed,
    carry: new Map(carried.map((c) => [c.name, c.carry])),
  });
  for (const w of writes) {
    await mkdir(dirname(w.path), { recursive: true });
    await writeFileAtomic(w.path, bytesOf(w.text));
  }
  await writeFileAtomic(q.file, yaml);
  await dropWorktree(store, state);
  await rm(await statePath(store, state.queueDir), { force: true });
  return { rewritten, carried };
}

/** Mode move: rewrite the patches in place; base: becomes the new base; old bases kept where the queue still applies. */
async function finishMoving(store: TreeStore, q: Queue, state: RebaseState): Promise<Omit<RebaseOutcome, 'state'>> {
  const { rewritten, upstream } = await regenerated(store, q, state);
  const droppedBases = await failingBases(store, q, state, rewritten, upstream);
  const { text: yaml, droppedPatches } = rebaseQueueYamlWithDrops(await readFile(q.file, 'utf8'), {
    oldVersion: state.from.version,
    newBase: state.onto.base,
    alreadyUpstream: upstream,
    dropBases: droppedBases.map((b) => b.version),
  });
  for (const r of rewritten) if (r.changed) await writeFileAtomic(patchOf(q, r.name, state.from.version).path, bytesOf(r.text));
  await writeFileAtomic(q.file, yaml);
  await dropWorktree(store, state);
  await rm(await statePath(store, state.queueDir), { force: true });
  return { rewritten, droppedBases, droppedPatches };
}

/** Does a state file exist for this queue (for `tiny queue rebase` without options)? */
export async function rebaseInProgress(store: TreeStore, queueDir: string): Promise<boolean> {
  return exists(await statePath(store, queueDir));
}
