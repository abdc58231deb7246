// The content-addressed record store: <cacheDir>/records/<key[0..2]>/<key>/ holds metadata.json
// and the artifacts of one build (vmlinux.gz, the boot image, config, System.map.gz,
// symbols.json.gz, build.log.gz), so `tiny diff` and rebuild-and-compare can use them later.
//
// Crash safety: a record is written into a private temp dir, <records>/.tmp/<key>.<pid>.<rand>/
// (same file system), every file fsync'ed, then the whole directory is renamed into place. A
// record directory is therefore complete or absent; an interrupted save leaves only a temp dir,
// which lookups never see and gcTempDirs() removes after a day. Two writers of one key: the
// first rename wins, the second finds the directory there (ENOTEMPTY) and keeps it.

import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gunzip as gunzipCb, gzip as gzipCb } from 'node:zlib';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { TinyError } from '../util/diagnostics.js';
import { faultPoint } from '../util/fault.js';
import { alive } from '../util/lock.js';
import { withPath } from '../util/nospace.js';
import { sha256 } from '../util/fs.js';
import type { SymbolEntry } from '../measure/types.js';
import { recordKey } from './key.js';
import { recordFromJson, recordToJson, RECORD_SCHEMA_VERSION } from './record-format.js';
import { RECORD_SCHEMA, type ArtifactName, type BuildRecord, type BuildRecordDraft, type StoredArtifact } from './types.js';

const gzipAsync = promisify(gzipCb);
/**
 * How hard a record's files are compressed. A record is written while its lane waits, and
 * level 6 runs at ~50 MB/s: a 33 MB ELF took 0.68 s against 0.29 s at level 1, for 38% of its
 * size against 41% (a debug-info 6.x vmlinux of 250 MB: ~5 s against ~2 s a toggle).
 */
const RECORD_GZIP_LEVEL = 1;
const gzip = (data: Buffer) => gzipAsync(data, { level: RECORD_GZIP_LEVEL });
const gunzip = promisify(gunzipCb);

export interface RecordStore {
  cacheDir: string;
  /** <cacheDir>/records */
  root: string;
  /** <cacheDir>/records/.tmp: records being written, and replaced records being removed. */
  tmp: string;
}

export const KEY_RE = /^[0-9a-f]{64}$/;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Default cap on the uncompressed vmlinux kept in a record (a 2.6 tiny vmlinux is ~2 MB; a debug-info 6.x one can pass 500 MB). */
export const DEFAULT_MAX_VMLINUX_BYTES = 256 * 1024 * 1024;

export async function openRecordStore(cacheDir: string): Promise<RecordStore> {
  const root = join(resolve(cacheDir), 'records');
  const store: RecordStore = { cacheDir: resolve(cacheDir), root, tmp: join(root, '.tmp') };
  await mkdir(store.tmp, { recursive: true });
  return store;
}

function checkKey(key: string): void {
  if (!KEY_RE.test(key)) throw new TinyError(`not a record key: ${JSON.stringify(key)} (64 lowercase hex digits)`, 2);
}

export function recordDir(store: RecordStore, key: string): string {
  checkKey(key);
  return join(store.root, key.slice(0, 2), key);
}

/** The record of `key`, or undefined (absent, unreadable, or of a metadata.json version this tiny does not know). */
export async function lookup(store: RecordStore, key: string): Promise<BuildRecord | undefined> {
  const r = await inspectRecord(store, key);
  return r.state === 'ok' ? r.record : undefined;
}

/**
 * What the store holds for `key`: the record, nothing, or a record directory that cannot be
 * read as one (truncated or damaged metadata.json: `corrupt`, with the file and why). A record
 * written by another version of tiny counts as corrupt too: either way it is rebuilt.
 */
export type RecordState = { state: 'ok'; record: BuildRecord } | { state: 'absent' } | { state: 'corrupt'; path: string; why: string };

export async function inspectRecord(store: RecordStore, key: string): Promise<RecordState> {
  const dir = recordDir(store, key);
  const file = join(dir, 'metadata.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return { state: 'corrupt', path: file, why: `unreadable (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
    return (await stat(dir).catch(() => undefined)) ? { state: 'corrupt', path: file, why: 'missing' } : { state: 'absent' };
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { state: 'corrupt', path: file, why: text.length ? `not valid JSON (${text.length} bytes: truncated?)` : 'empty' };
  }
  // Any metadata.json format this tiny reads (store/record-format.ts).
  const record = recordFromJson(v, key);
  if (record) return { state: 'ok', record };
  const o = (v ?? {}) as { schema?: unknown; schema_version?: unknown };
  const version = o.schema_version ?? o.schema;
  const known = (o.schema_version === RECORD_SCHEMA_VERSION && o.schema === undefined) || (o.schema === 1 && o.schema_version === undefined);
  return { state: 'corrupt', path: file, why: version !== undefined && !known ? `written by another version of tiny (record format ${JSON.stringify(version)})` : 'not a build record of this key' };
}

/** The error for a corrupt record, with the fix: remove it, and the next build makes it again. */
export function corruptRecordError(key: string, c: { path: string; why: string }, rebuild = 'the next `tiny build` of its configuration'): TinyError {
  return new TinyError(`record ${key.slice(0, 12)} is corrupt: ${c.path}: ${c.why}`, 1, [], `remove it (rm -r ${join(c.path, '..')}): ${rebuild} makes it again`);
}

/** Paths of the files to keep with the record (from the build dir), and the symbol table. */
export interface SaveArtifacts {
  vmlinux?: string;
  /** The boot image (bzImage, zImage ...); stored under its own file name. */
  image?: string;
  /** The final .config. */
  config: string;
  systemMap?: string;
  /** The sized symbols of vmlinux (Measurement.symbols). */
  symbols: readonly SymbolEntry[];
  /** The build log. */
  log?: string;
  /** Artifacts left out before the save (stageArtifacts: an over-cap vmlinux), and why. */
  skipped?: Partial<Record<ArtifactName, string>>;
}

export interface SaveOptions {
  /** vmlinux files larger than this (uncompressed) are not stored; the record says so in `skipped`. */
  maxVmlinuxBytes?: number;
  /** Replace an existing record of the same key (a rebuild after a failure); default keep it. */
  replace?: boolean;
}

export interface SaveResult {
  record: BuildRecord;
  dir: string;
  /** false when a record of the key was already there and was kept (`record` is that one). */
  created: boolean;
}

async function fsyncPath(path: string, flags = 'r'): Promise<void> {
  const fh = await open(path, flags);
  try {
    await fh.sync();
  } catch {
    /* some file systems refuse fsync on directories */
  } finally {
    await fh.close();
  }
}

async function writeSynced(path: string, data: Buffer): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Copy `src` to `dst` (gzip-compressed when asked), hashing the original bytes on the way. */
async function copyHashed(src: string, dst: string, compress: boolean): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  const out = createWriteStream(dst, { flags: 'wx' });
  if (compress) await pipeline(createReadStream(src), tap, createGzip({ level: RECORD_GZIP_LEVEL }), out);
  else await pipeline(createReadStream(src), tap, out);
  await fsyncPath(dst, 'r+');
  return { sha256: h.digest('hex'), bytes };
}

function symbolsJson(symbols: readonly SymbolEntry[]): string {
  // One symbol per line: compact, and still readable with zcat | grep.
  return '[\n' + symbols.map((s) => JSON.stringify({ name: s.name, type: s.type, size: s.size })).join(',\n') + '\n]\n';
}

const tempName = (prefix: string) => `${prefix}.${process.pid}.${randomBytes(6).toString('hex')}`;

/** Why a vmlinux is not kept (its size over the cap), or undefined when it is. */
async function overCap(vmlinux: string, maxBytes = DEFAULT_MAX_VMLINUX_BYTES): Promise<string | undefined> {
  const st = await stat(vmlinux).catch(() => undefined);
  return st && st.size > maxBytes ? `${st.size} bytes, over the ${maxBytes}-byte cap` : undefined;
}

/** Files a record will keep, copied aside (stageArtifacts), and how to remove the copies. */
export interface StagedArtifacts {
  artifacts: SaveArtifacts;
  discard(): Promise<void>;
}

/**
 * Copy the files a record keeps from a build directory into the store's temp area, so that the
 * record can be written (compressed, hashed, synced) after the directory has moved on: a build
 * lane's next make starts while the last one's record is saved. The log and the symbols are not
 * in the build directory and stay where they are; an over-cap vmlinux is not copied (the record
 * says why). A killed run's copies go with its other temp dirs (gcTempDirs).
 */
export async function stageArtifacts(store: RecordStore, a: SaveArtifacts, opts: Pick<SaveOptions, 'maxVmlinuxBytes'> = {}): Promise<StagedArtifacts> {
  await mkdir(store.tmp, { recursive: true });
  const dir = join(store.tmp, tempName('staged'));
  await mkdir(dir);
  const discard = () => rm(dir, { recursive: true, force: true });
  try {
    const aside = async (src: string, name: string) => {
      const to = join(dir, name);
      await mkdir(dirname(to), { recursive: true });
      await copyFile(src, to);
      return to;
    };
    const over = a.vmlinux ? await overCap(a.vmlinux, opts.maxVmlinuxBytes) : undefined;
    const staged: SaveArtifacts = {
      ...a,
      ...(a.vmlinux ? (over ? { vmlinux: undefined, skipped: { ...a.skipped, vmlinux: over } } : { vmlinux: await aside(a.vmlinux, 'vmlinux') }) : {}),
      // In a directory of its own: its file name is the record's imageName, whatever it is.
      ...(a.image ? { image: await aside(a.image, join('image', basename(a.image))) } : {}),
      config: await aside(a.config, 'config'),
      ...(a.systemMap ? { systemMap: await aside(a.systemMap, 'System.map') } : {}),
    };
    return { artifacts: staged, discard };
  } catch (e) {
    await discard();
    throw withPath(e, dir, await bytesOf(a));
  }
}

/** Write every file of the record into `dir` (a fresh temp dir). */
async function writeRecordDir(dir: string, draft: BuildRecordDraft, key: string, a: SaveArtifacts, opts: SaveOptions): Promise<BuildRecord> {
  const artifacts: Partial<Record<ArtifactName, StoredArtifact>> = {};
  const skipped: Partial<Record<ArtifactName, string>> = { ...a.skipped };
  const measured = draft.measurement?.sha256 ?? {};
  const imageName = a.image ? basename(a.image) : undefined;

  const keep = async (name: ArtifactName, src: string, file: string, compress: boolean, measuredAs?: string) => {
    const st = await stat(src).catch(() => undefined);
    if (!st?.isFile()) throw new TinyError(`cannot store ${name}: ${src} is not a file`, 1);
    const { sha256: digest, bytes } = await copyHashed(src, join(dir, file), compress);
    const expect = measuredAs !== undefined ? measured[measuredAs] : undefined;
    if (expect !== undefined && expect !== digest)
      throw new TinyError(`${src} changed after it was measured (sha256 ${digest}, measured ${expect})`, 1, [], 'was the build dir reused by another build?');
    artifacts[name] = { file, sha256: digest, bytes, encoding: compress ? 'gzip' : 'identity' };
  };

  if (a.vmlinux) {
    const over = await overCap(a.vmlinux, opts.maxVmlinuxBytes);
    if (over) skipped.vmlinux = over;
    else await keep('vmlinux', a.vmlinux, 'vmlinux.gz', true, 'vmlinux');
  }
  if (a.image && imageName) {
    if (['metadata.json', 'vmlinux.gz', 'config', 'System.map.gz', 'symbols.json.gz', 'build.log.gz'].includes(imageName)) throw new TinyError(`cannot store an image named ${imageName}`, 2);
    await keep('image', a.image, imageName, false, imageName); // already compressed
  }
  await keep('config', a.config, 'config', false, '.config');
  faultPoint('record-write'); // the fault-injection suite kills a run here: half a record in its temp dir
  if (a.systemMap) await keep('System.map', a.systemMap, 'System.map.gz', true, 'System.map');
  if (a.log) await keep('log', a.log, 'build.log.gz', true);

  const symText = Buffer.from(symbolsJson(a.symbols));
  await writeSynced(join(dir, 'symbols.json.gz'), await gzip(symText));
  artifacts.symbols = { file: 'symbols.json.gz', sha256: sha256(symText), bytes: symText.length, encoding: 'gzip' };

  const { key: _k, ...rest } = draft;
  const record: BuildRecord = {
    schema: RECORD_SCHEMA,
    key,
    ...rest,
    ...(artifacts.log ? { log: artifacts.log.file } : {}),
    artifacts,
    ...(imageName ? { imageName } : {}),
    ...(Object.keys(skipped).length ? { skipped } : {}),
  };
  await writeSynced(join(dir, 'metadata.json'), Buffer.from(JSON.stringify(recordToJson(record), null, 2) + '\n'));
  await fsyncPath(dir);
  return record;
}

const isExistsError = (e: unknown) => ['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '');

/**
 * Save a record and its artifacts, atomically (see the top of this file). The key is computed
 * from draft.inputs (a given draft.key must match). When the key is already stored, the stored
 * record is kept and returned (created: false) unless opts.replace; an unreadable one is replaced.
 */
export async function save(store: RecordStore, draft: BuildRecordDraft, artifacts: SaveArtifacts, opts: SaveOptions = {}): Promise<SaveResult> {
  const key = recordKey(draft.inputs);
  if (draft.key !== undefined && draft.key !== key) throw new TinyError(`record key ${draft.key} does not match its inputs (${key})`, 2);
  const final = recordDir(store, key);

  await mkdir(store.tmp, { recursive: true });
  await gcTempDirs(store); // a killed save's half record goes now, not in a day
  const tmp = join(store.tmp, tempName(key));
  await mkdir(tmp);
  try {
    const record = await writeRecordDir(tmp, draft, key, artifacts, opts);
    await mkdir(join(store.root, key.slice(0, 2)), { recursive: true });
    for (let attempt = 0; ; attempt++) {
      try {
        await rename(tmp, final);
        await fsyncPath(join(store.root, key.slice(0, 2)));
        return { record, dir: final, created: true };
      } catch (e) {
        if (!isExistsError(e) || attempt >= 8) throw e;
      }
      const existing = await lookup(store, key);
      if (existing && !opts.replace) {
        await rm(tmp, { recursive: true, force: true });
        return { record: existing, dir: final, created: false };
      }
      // Move the old record aside (a rename: the key is never half-written), then retry.
      const trash = join(store.tmp, tempName(`replaced-${key}`));
      try {
        await rename(final, trash);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // someone else moved it
      }
      await rm(trash, { recursive: true, force: true });
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw withPath(e, final, await bytesOf(artifacts));
  }
}

/** About what a record of these artifacts takes on disk (uncompressed: an upper bound). */
async function bytesOf(a: SaveArtifacts): Promise<number> {
  let n = 0;
  for (const p of [a.vmlinux, a.image, a.config, a.systemMap, a.log]) if (p) n += (await stat(p).catch(() => undefined))?.size ?? 0;
  return n;
}

export interface RecordFilter {
  config?: string;
  toggle?: string;
  status?: BuildRecord['status'];
}

/** Every readable record (optionally filtered), newest first (finishedAt, then key). */
export async function listRecords(store: RecordStore, filter: RecordFilter = {}): Promise<BuildRecord[]> {
  const out: BuildRecord[] = [];
  const prefixes = await readdir(store.root).catch(() => [] as string[]);
  for (const p of prefixes.filter((p) => /^[0-9a-f]{2}$/.test(p)).sort()) {
    const keys = await readdir(join(store.root, p)).catch(() => [] as string[]);
    for (const k of keys.filter((k) => KEY_RE.test(k) && k.startsWith(p)).sort()) {
      const r = await lookup(store, k);
      if (!r) continue;
      if (filter.config !== undefined && r.config !== filter.config) continue;
      if (filter.toggle !== undefined && r.toggle?.name !== filter.toggle) continue;
      if (filter.status !== undefined && r.status !== filter.status) continue;
      out.push(r);
    }
  }
  return out.sort((a, b) => (a.finishedAt < b.finishedAt ? 1 : a.finishedAt > b.finishedAt ? -1 : a.key < b.key ? -1 : 1));
}

/** Full keys of stored records starting with `prefix` (for CLIs that accept a short key). */
export async function keysWithPrefix(store: RecordStore, prefix: string): Promise<string[]> {
  if (!/^[0-9a-f]{2,64}$/.test(prefix)) return [];
  const keys = await readdir(join(store.root, prefix.slice(0, 2))).catch(() => [] as string[]);
  return keys.filter((k) => KEY_RE.test(k) && k.startsWith(prefix)).sort();
}

/** The pid in a temp dir's name (<key>.<pid>.<rand>, replaced-<key>.<pid>.<rand>). */
function tempOwner(name: string): number | undefined {
  const m = /\.(\d+)\.[0-9a-f]+$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Remove temp dirs of interrupted saves: those of processes that are gone (a killed run's half
 * record), and any older than maxAgeMs (default a day). Returns their names.
 */
export async function gcTempDirs(store: RecordStore, opts: { maxAgeMs?: number; now?: number } = {}): Promise<string[]> {
  const maxAge = opts.maxAgeMs ?? DAY_MS;
  const now = opts.now ?? Date.now();
  const removed: string[] = [];
  for (const name of await readdir(store.tmp).catch(() => [] as string[])) {
    const p = join(store.tmp, name);
    const st = await stat(p).catch(() => undefined);
    const owner = tempOwner(name);
    const orphan = owner !== undefined && owner !== process.pid && !alive(owner);
    if (!st || (!orphan && now - st.mtimeMs <= maxAge)) continue;
    await rm(p, { recursive: true, force: true });
    removed.push(name);
  }
  return removed.sort();
}

/** The original bytes of a stored artifact (decompressed), checked against its sha256. */
export async function readArtifact(store: RecordStore, record: BuildRecord, name: ArtifactName): Promise<Buffer | undefined> {
  const a = record.artifacts[name];
  if (!a) return undefined;
  const path = join(recordDir(store, record.key), a.file);
  const corrupt = (why: string) => corruptRecordError(record.key, { path, why }, record.config ? `\`tiny build --config ${record.config}\`` : undefined);
  const raw = await readFile(path).catch((e: NodeJS.ErrnoException) => {
    throw corrupt(e.code === 'ENOENT' ? 'missing' : `unreadable (${e.code ?? String(e)})`);
  });
  let data: Buffer;
  try {
    data = a.encoding === 'gzip' ? await gunzip(raw) : raw;
  } catch (e) {
    throw corrupt(`not a complete gzip file (${(e as Error).message}: truncated?)`);
  }
  if (sha256(data) !== a.sha256) throw corrupt(`sha256 ${sha256(data).slice(0, 16)}..., the record says ${a.sha256.slice(0, 16)}...`);
  return data;
}

/** The symbol table stored with a record. */
export async function readSymbols(store: RecordStore, record: BuildRecord): Promise<SymbolEntry[] | undefined> {
  const data = await readArtifact(store, record, 'symbols');
  return data ? (JSON.parse(data.toString('utf8')) as SymbolEntry[]) : undefined;
}
