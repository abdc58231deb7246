// The tree store: one bare git repository, <cacheDir>/trees.git, holding every base tree and
// every patch commit (objects shared between bases), plus small JSON records under
// trees.git/tiny/ (one file per entry, written atomically: no read-modify-write races).

import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { TinyError } from '../util/diagnostics.js';
import { writeFileAtomic, exists } from '../util/fs.js';
import { git } from './git.js';
import { sharedTreeCaches } from '../util/cache.js';
import { notice } from '../util/notice.js';

/** A handle on the store: plain data, pass it around freely. */
export interface TreeStore {
  cacheDir: string;
  /** The bare repository: <cacheDir>/trees.git */
  gitDir: string;
  /** Stores of other caches this one borrows objects (git alternates) and imports from. */
  shared?: TreeStore[];
}

const MARKER = 'tiny/store.json';

/**
 * Store configuration. Attributes: $GIT_DIR/info/attributes wins over any .gitattributes inside
 * a kernel tree, so `git add` of a directory and checkouts store and write raw bytes exactly as
 * fast-import does (no eol conversion, no filters).
 */
export const STORE_SETTINGS: ReadonlyArray<[string, string]> = [
  ['core.autocrlf', 'false'],
  ['core.safecrlf', 'false'],
  ['core.quotePath', 'false'],
  ['core.symlinks', 'true'],
  ['core.filemode', 'true'],
  ['core.precomposeUnicode', 'false'],
  // Objects are never pruned: memoized patch commits have no ref pointing at them.
  ['gc.auto', '0'],
  ['gc.pruneExpire', 'never'],
  ['gc.worktreePruneExpire', 'never'],
  ['checkout.workers', '0'],
  ['advice.detachedHead', 'false'],
  ['user.name', 'tiny'],
  ['user.email', 'tiny@localhost'],
];

/**
 * Settings as the lines of git's config file, appended to the one `git init` wrote (a section
 * may appear twice): one write instead of a `git config` process per setting (13 of them,
 * 0.15-0.25 s before a fresh cache can import anything).
 */
export function configText(settings: ReadonlyArray<[string, string]>): string {
  return settings
    .map(([key, value]) => {
      const dot = key.indexOf('.');
      // Section and name plain, the value a bare word: nothing here needs git's quoting.
      if (dot <= 0 || !/^[A-Za-z][A-Za-z0-9-]*$/.test(key.slice(dot + 1)) || !/^[A-Za-z0-9@._-]+$/.test(value)) throw new Error(`store setting ${key} = ${value} needs quoting`);
      return `[${key.slice(0, dot)}]\n\t${key.slice(dot + 1)} = ${value}\n`;
    })
    .join('');
}

const ATTRIBUTES = '* -text -eol -filter -ident -working-tree-encoding -crlf\n';

/**
 * Open (create on first use) the tree store in `cacheDir`. Safe when two processes race.
 * `shared`: other caches whose stores this one borrows from (default $TINY_SHARED_TREES).
 */
export async function openTreeStore(cacheDir: string, shared: string[] = sharedTreeCaches()): Promise<TreeStore> {
  const store = await openOwnStore(cacheDir);
  const others: TreeStore[] = [];
  for (const dir of shared) {
    const other: TreeStore = { cacheDir: resolve(dir), gitDir: join(resolve(dir), 'trees.git') };
    if (other.gitDir === store.gitDir) continue;
    if (!(await exists(join(other.gitDir, MARKER)))) {
      throw new TinyError(
        `TINY_SHARED_TREES names ${dir}, which holds no tiny tree store (no ${join(other.gitDir, MARKER)})`,
        2,
        [],
        'name tiny caches (the directories TINY_CACHE names) that have imported a base, or unset TINY_SHARED_TREES',
      );
    }
    await borrowObjects(store, other);
    others.push(other);
  }
  return others.length ? { ...store, shared: others } : store;
}

/**
 * List `other`'s objects in `store`'s objects/info/alternates (once): git then reads them as its
 * own. tiny never prunes a store, so they stay while `other`'s cache is kept.
 */
async function borrowObjects(store: TreeStore, other: TreeStore): Promise<void> {
  const file = join(store.gitDir, 'objects', 'info', 'alternates');
  const objects = join(await realpath(other.gitDir), 'objects');
  const lines = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  if (lines.includes(objects)) return;
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, [...lines, objects].join('\n') + '\n');
}

/** A pack file still being written has been written to within this long. */
const UNFINISHED_PACK_AGE_MS = 60 * 60 * 1000;

/**
 * The pack files an import killed half-way left (git's objects/pack/tmp_pack_*, tmp_idx_*: as
 * big as the tree): removed once nothing has written to them for an hour — an import writes its
 * pack in a minute or two — and said. The store never runs git's gc, which would.
 */
async function removeUnfinishedPacks(store: TreeStore): Promise<void> {
  const dir = join(store.gitDir, 'objects', 'pack');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^tmp_(pack|idx)_/.test(n));
  let bytes = 0;
  let removed = 0;
  for (const name of names) {
    const st = await stat(join(dir, name)).catch(() => undefined);
    if (!st || Date.now() - st.mtimeMs < UNFINISHED_PACK_AGE_MS) continue;
    await rm(join(dir, name), { force: true });
    bytes += st.size;
    removed++;
  }
  if (removed) notice(`removed ${removed} unfinished pack file${removed === 1 ? '' : 's'} (${(bytes / 1e6).toFixed(1)} MB) left in ${dir} by a killed import`);
}

async function openOwnStore(cacheDir: string): Promise<TreeStore> {
  const store: TreeStore = { cacheDir: resolve(cacheDir), gitDir: join(resolve(cacheDir), 'trees.git') };
  if (await exists(join(store.gitDir, MARKER))) {
    await removeUnfinishedPacks(store);
    return store;
  }
  await mkdir(store.cacheDir, { recursive: true });
  // Initialise in a private directory, then rename into place: a rename either wins or finds
  // the directory already there (another process won), never a half-initialised store.
  const tmp = join(store.cacheDir, `.trees.git.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    await git(tmp, ['init', '--quiet', '--bare']);
    await appendFile(join(tmp, 'config'), configText(STORE_SETTINGS));
    await mkdir(join(tmp, 'info'), { recursive: true });
    await writeFile(join(tmp, 'info', 'attributes'), ATTRIBUTES);
    await mkdir(join(tmp, 'tiny'), { recursive: true });
    await writeFile(join(tmp, MARKER), JSON.stringify({ format: 1 }) + '\n');
    try {
      await rename(tmp, store.gitDir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      if (!(await exists(join(store.gitDir, MARKER)))) {
        throw new TinyError(`${store.gitDir} exists but is not a tiny tree store (no ${MARKER})`, 2, [], `remove ${store.gitDir} and run again: tiny makes it anew`);
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return store;
}

/** Paths of the store's own records. */
export function recordPath(store: TreeStore, kind: 'imports' | 'series', key: string): string {
  return join(store.gitDir, 'tiny', kind, key.slice(0, 2), `${key}.json`);
}

export async function readRecord<T>(store: TreeStore, kind: 'imports' | 'series', key: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(recordPath(store, kind, key), 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/**
 * An import record of this store, else of a store it borrows from (copied here: the objects it
 * names are this store's too, through alternates).
 */
export async function readImportRecord<T>(store: TreeStore, key: string): Promise<T | undefined> {
  const own = await readRecord<T>(store, 'imports', key);
  if (own) return own;
  for (const other of store.shared ?? []) {
    const rec = await readRecord<T>(other, 'imports', key);
    if (rec) {
      await writeRecord(store, 'imports', key, rec);
      return rec;
    }
  }
  return undefined;
}

export async function writeRecord(store: TreeStore, kind: 'imports' | 'series', key: string, value: unknown): Promise<void> {
  await writeFileAtomic(recordPath(store, kind, key), JSON.stringify(value) + '\n');
}

/** A scratch directory inside the cache (same file system as the store: renames are atomic). */
export async function scratchPath(store: TreeStore, what: string): Promise<string> {
  const dir = join(store.cacheDir, 'tmp');
  await mkdir(dir, { recursive: true });
  return join(dir, `${what}.${process.pid}.${randomBytes(6).toString('hex')}`);
}

/** Do these objects exist in the store? One `git cat-file --batch-check` for all of them. */
export async function objectsExist(store: TreeStore, oids: string[]): Promise<boolean> {
  if (!oids.length) return true;
  const r = await git(store.gitDir, ['cat-file', '--batch-check=%(objectname)'], { input: oids.join('\n') + '\n', allowFail: true });
  return r.code === 0 && !/ missing$/m.test(r.stdout);
}
