// Records travel between machines: `tiny store export` writes records (with the patches they
// were built from and the latest-run entries that name them) into one tar, and `tiny store
// import` adds the records of one or more such tars to a store. Importing is a union of
// content-keyed records: a key that is already there with the same content is kept as it is;
// the same key with different content is an error naming both (the same inputs gave other
// bytes: a toolchain that is not reproducible), never an overwrite.
//
// The tar (deterministic: util/tar.ts, paths sorted, mtime 0):
//   tiny-store.json                 the manifest: schema_version, the record and key versions,
//                                   every record with its files' sizes and sha256
//   records/<kk>/<key>/<file>       the record directories as the store keeps them
//   patches/<kk>/<sha256>.patch     the patch texts the records were built from
//   runs/<config>.json              latest-run entries (toggle -> key) of the exported records
//
// "Content" of a record: its status and the sha256 of each artifact it keeps (vmlinux, the
// image, .config, System.map, the symbol table) — not its build log (make prints host paths)
// nor its times. An ok record replaces a failed one of the same key (a retried build); a failed
// one never replaces an ok one.
//
// Import is all or nothing: every tar is unpacked into the store's temp directory and checked
// (manifest version, each record's key against its inputs, each file against its sha256, and
// conflicts against the store and between the tars) before the first record moves into place.

import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { TinyError, type Diagnostic } from '../util/diagnostics.js';
import { sha256 } from '../util/fs.js';
import { writeTarFile, type LazyTarEntry } from '../util/tar.js';
import { KEY_VERSION, recordKey } from './key.js';
import { KEY_RE, keysWithPrefix, listRecords, lookup, recordDir, type RecordStore } from './records.js';
import { readRunIndex, writeRunIndex, type RunEntry, type RunIndex } from './runs.js';
import { RECORD_SCHEMA, type ArtifactName, type BuildRecord } from './types.js';
import { recordFromJson, RECORD_SCHEMA_VERSION } from './record-format.js';

/** Bump when the layout of an export changes: an import refuses versions it does not know. */
export const STORE_EXPORT_SCHEMA = 1;
export const MANIFEST_NAME = 'tiny-store.json';

export interface ManifestRecord {
  key: string;
  config: string;
  toggle: string;
  status: BuildRecord['status'];
  /** Every file of the record directory, by name. */
  files: Array<{ name: string; bytes: number; sha256: string }>;
}

export interface StoreManifest {
  schema_version: typeof STORE_EXPORT_SCHEMA;
  kind: 'tiny-store-export';
  /** The record format (store/types.ts RECORD_SCHEMA) and key derivation (store/key.ts KEY_VERSION). */
  record_schema: number;
  key_version: number;
  records: ManifestRecord[];
  /** Configurations with a runs/<config>.json. */
  runs: string[];
  /** sha256 of each patch in patches/. */
  patches: string[];
}

/** A latest-run excerpt as exported (runs/<config>.json). */
export interface ExportedRun {
  schema_version: typeof STORE_EXPORT_SCHEMA;
  config: string;
  /** The base version the run built on (absent from exports of runs that did not keep it). */
  base?: string;
  /** runInputs() of the run: runs merge only when equal. */
  inputs: string | null;
  started_at: string;
  finished_at: string | null;
  /** Every toggle of the run's plan, in report order (runs from several shards merge in it). */
  order: string[];
  toggles: Array<{ toggle: string; key: string; status: BuildRecord['status'] }>;
}

export interface ExportOptions {
  out: string;
  /** Only the records of this configuration. */
  config?: string;
  /** Only these records (full keys or unique prefixes of 8+ hex digits). */
  keys?: readonly string[];
  /** Leave out the latest-run entries (one record offered to a remote store is not a run). */
  noRuns?: boolean;
}

export interface ExportSummary {
  file: string;
  records: number;
  patches: number;
  runs: string[];
  bytes: number;
}

function patchFile(cacheDir: string, sha: string): string {
  return join(cacheDir, 'patches', sha.slice(0, 2), `${sha}.patch`);
}

async function resolveKeys(store: RecordStore, keys: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const k of keys) {
    const want = k.trim().toLowerCase();
    if (!/^[0-9a-f]{8,64}$/.test(want)) throw new TinyError(`--keys: '${k}' is not a record key (8 to 64 hex digits)`, 2);
    const found = await keysWithPrefix(store, want);
    if (found.length === 0) throw new TinyError(`--keys: no record ${k} in ${store.root}`, 2, [], 'list the records with `tiny report` or export a whole configuration with --config');
    if (found.length > 1) throw new TinyError(`--keys: ${k} is the start of ${found.length} records (${found.slice(0, 3).join(', ')}...)`, 2, [], 'give more digits');
    out.add(found[0]!);
  }
  return out;
}

/** Write the records (and their patches and run entries) to `opts.out`; see the top of this file. */
export async function exportStore(store: RecordStore, opts: ExportOptions): Promise<ExportSummary> {
  let records = await listRecords(store, opts.config !== undefined ? { config: opts.config } : {});
  if (opts.keys?.length) {
    const wanted = await resolveKeys(store, opts.keys);
    const off = [...wanted].filter((k) => !records.some((r) => r.key === k));
    if (off.length) throw new TinyError(`--keys: ${off.map((k) => k.slice(0, 12)).join(', ')} ${off.length > 1 ? 'are not records' : 'is not a record'} of ${opts.config}`, 2);
    records = records.filter((r) => wanted.has(r.key));
  }
  records.sort((a, b) => (a.key < b.key ? -1 : 1));
  const entries: LazyTarEntry[] = [];
  const manifestRecords: ManifestRecord[] = [];
  for (const r of records) {
    const dir = recordDir(store, r.key);
    const files: ManifestRecord['files'] = [];
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      // The record's own files. Its boot/ directory holds boots made on this machine (tiny boot,
      // build --boot): observations of the record, not part of it, so an export leaves them out.
      if (!entry.isFile()) continue;
      const name = entry.name;
      const path = join(dir, name);
      const data = await readFile(path);
      files.push({ name, bytes: data.length, sha256: sha256(data) });
      entries.push({ path: `records/${r.key.slice(0, 2)}/${r.key}/${name}`, size: data.length, read: () => readFile(path) });
    }
    manifestRecords.push({ key: r.key, config: r.config, toggle: r.toggle.name, status: r.status, files });
  }

  const patchShas = [...new Set(records.flatMap((r) => r.inputs.patches))].sort();
  const patches: string[] = [];
  for (const sha of patchShas) {
    const path = patchFile(store.cacheDir, sha);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) continue; // a record made before tiny kept patches: `tiny rebuild` then needs the queue
    patches.push(sha);
    entries.push({ path: `patches/${sha.slice(0, 2)}/${sha}.patch`, size: st.size, read: () => readFile(path) });
  }

  const keys = new Set(records.map((r) => r.key));
  const runs: string[] = [];
  for (const config of opts.noRuns ? [] : [...new Set(records.map((r) => r.config))].sort()) {
    const index = await readRunIndex(store.cacheDir, config).catch(() => undefined);
    const toggles = (index?.toggles ?? []).filter((t) => keys.has(t.key));
    if (!index || !toggles.length) continue;
    const run: ExportedRun = {
      schema_version: STORE_EXPORT_SCHEMA,
      config,
      ...(index.base ? { base: index.base } : {}),
      inputs: index.inputs ?? null,
      started_at: index.startedAt,
      finished_at: index.finishedAt ?? null,
      order: index.order ?? index.toggles.map((t) => t.toggle),
      toggles: toggles.map((t) => ({ toggle: t.toggle, key: t.key, status: t.status })),
    };
    const data = Buffer.from(JSON.stringify(run, null, 2) + '\n');
    entries.push({ path: `runs/${config}.json`, size: data.length, read: async () => data });
    runs.push(config);
  }

  const manifest: StoreManifest = {
    schema_version: STORE_EXPORT_SCHEMA,
    kind: 'tiny-store-export',
    record_schema: RECORD_SCHEMA,
    key_version: KEY_VERSION,
    records: manifestRecords,
    runs,
    patches,
  };
  const mdata = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
  entries.push({ path: MANIFEST_NAME, size: mdata.length, read: async () => mdata });
  const bytes = await writeTarFile(opts.out, entries, 0);
  return { file: opts.out, records: records.length, patches: patches.length, runs, bytes };
}

// --- import -------------------------------------------------------------------------------------

const ENTRY_RE = /^(?:tiny-store\.json|records\/[0-9a-f]{2}\/[0-9a-f]{64}\/[A-Za-z0-9][A-Za-z0-9._+-]*|patches\/[0-9a-f]{2}\/[0-9a-f]{64}\.patch|runs\/[A-Za-z0-9][A-Za-z0-9._-]*\.json)$/;
const DIR_RE = /^(?:records|patches|runs|records\/[0-9a-f]{2}|records\/[0-9a-f]{2}\/[0-9a-f]{64}|patches\/[0-9a-f]{2})\/?$/;

/** Unpack `file` into `dir`, refusing anything a store export does not hold (links, other paths). */
async function unpack(file: string, dir: string): Promise<void> {
  const parser = new Parser({ strict: true });
  const writes: Promise<void>[] = [];
  let bad: string | undefined;
  const seen = new Set<string>();
  const done = new Promise<void>((resolve, reject) => {
    parser.on('error', reject);
    parser.on('abort', reject);
    parser.on('end', () => resolve());
    parser.on('entry', (e: ReadEntry) => {
      const p = e.path.replace(/^\.\//, '');
      if (e.type === 'Directory' && DIR_RE.test(p)) return e.resume();
      if ((e.type !== 'File' && e.type !== 'OldFile') || !ENTRY_RE.test(p) || seen.has(p)) {
        const what = e.type === 'File' || e.type === 'OldFile' ? 'file' : e.type === 'Directory' ? 'directory' : `${e.type} member`;
        bad ??= `${seen.has(p) ? 'a repeated' : 'an unexpected'} ${what} ${JSON.stringify(e.path)}`;
        return e.resume();
      }
      seen.add(p);
      const target = join(dir, p);
      // The directory exists before the entry's data flows: tar entries arrive one after the
      // other, and a paused entry holds the parser back until its file is written.
      e.pause();
      writes.push(
        (async () => {
          await mkdir(join(target, '..'), { recursive: true });
          const out = createWriteStream(target, { flags: 'wx' });
          await new Promise<void>((resolve, reject) => {
            out.on('error', reject);
            out.on('close', () => resolve());
            e.on('error', reject);
            e.pipe(out);
          });
        })(),
      );
    });
  });
  // When the file cannot be read, the pipeline throws first and the parser's promise is left
  // unawaited: its rejection is the same failure, handled below.
  done.catch(() => {});
  try {
    await pipeline(createReadStream(file), parser as unknown as NodeJS.WritableStream);
    await done;
    await Promise.all(writes);
  } catch (e) {
    if (e instanceof TinyError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new TinyError(
      `${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'cannot read it' : `not a tar archive (${(e as Error).message})`}`,
      2,
      [],
      'give a file written by `tiny store export`',
    );
  }
  if (bad) throw new TinyError(`${file}: ${bad}: not a tiny store export`, 2, [], 'give a file written by `tiny store export`');
}

interface Candidate {
  /** The import file (as given), for messages. */
  from: string;
  dir: string;
  record: BuildRecord;
}

/** What makes two records of one key the same build: status and artifact sha256s (not the log, not the times). */
export function recordContent(r: BuildRecord): Record<string, string> {
  const out: Record<string, string> = { status: r.status };
  for (const [name, a] of Object.entries(r.artifacts) as Array<[ArtifactName, { sha256: string }]>) if (name !== 'log') out[name] = a.sha256;
  return out;
}

/**
 * How the content of `here` differs from `there`'s, one "vmlinux sha256 aaa… here, bbb… in
 * <thereName>" per artifact (empty when they are the same build).
 */
export function contentDifferences(there: BuildRecord, here: BuildRecord, thereName: string): string[] {
  const x = recordContent(there);
  const y = recordContent(here);
  const names = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
  const short = (v: string | undefined) => (v === undefined ? 'none' : v.length === 64 ? `${v.slice(0, 12)}…` : v);
  return names.filter((n) => x[n] !== y[n]).map((n) => `${n === 'status' ? 'status' : `${n} sha256`} ${short(y[n])} here, ${short(x[n])} in ${thereName}`);
}

function describe(r: BuildRecord): string {
  return `${r.config} ${r.toggle.name}`;
}

/** Check one unpacked record directory: key against inputs, every artifact against its sha256. */
async function checkRecordDir(from: string, dir: string, key: string, listed: ManifestRecord | undefined): Promise<BuildRecord> {
  const fail = (why: string): never => {
    throw new TinyError(`${from}: record ${key}: ${why}`, 2, [], 'the export is damaged or was edited: export it again');
  };
  if (!listed) fail('is not listed in the manifest');
  const names = (await readdir(dir)).sort();
  const expected = listed!.files.map((f) => f.name).sort();
  if (names.join('\n') !== expected.join('\n')) fail(`holds ${names.join(', ')}, the manifest lists ${expected.join(', ')}`);
  for (const f of listed!.files) {
    const data = await readFile(join(dir, f.name));
    if (data.length !== f.bytes || sha256(data) !== f.sha256) fail(`${f.name} does not match its sha256 in the manifest`);
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8'));
  } catch {
    return fail('metadata.json is missing or not JSON');
  }
  // The same reader as the store's own (store/record-format.ts): any record format this tiny reads.
  const record = recordFromJson(json, key);
  if (!record) {
    const o = (json ?? {}) as { key?: unknown; schema_version?: unknown; schema?: unknown };
    if (o.key !== key) fail(`metadata.json names key ${String(o.key)}`);
    return fail(`record format ${String(o.schema_version ?? o.schema)}; this tiny reads ${RECORD_SCHEMA_VERSION} (and 1)`);
  }
  let computed: string;
  try {
    computed = recordKey(record.inputs);
  } catch (e) {
    return fail(`its inputs are not valid (${(e as Error).message})`);
  }
  if (computed !== key) fail(`its inputs hash to ${computed}, not to its key`);
  for (const [name, a] of Object.entries(record.artifacts)) {
    if (!a) continue;
    let data: Buffer;
    try {
      const raw = await readFile(join(dir, a.file));
      data = a.encoding === 'gzip' ? gunzipSync(raw) : raw;
    } catch {
      return fail(`${name} (${a.file}) is missing or not gzip`);
    }
    if (data.length !== a.bytes || sha256(data) !== a.sha256) fail(`${name} (${a.file}) does not match the sha256 in metadata.json`);
  }
  return record;
}

export interface ImportSummary {
  files: string[];
  /** Records new to the store. */
  added: number;
  /** Records the store had with the same content (kept as they were). */
  same: number;
  /** Failed records replaced by an ok build of the same key. */
  replaced_failed: number;
  /** Failed builds not imported because the store (or another import) has an ok record of the key. */
  kept_ok: number;
  patches: number;
  /** Latest-run indexes written, with their number of toggles. */
  runs: Array<{ config: string; toggles: number }>;
  /** What the user should know (a latest-run index replaced by a run of other inputs). */
  notes: string[];
}

function mergeRuns(runs: Array<{ from: string; run: ExportedRun }>, current: RunIndex | undefined, diags: Diagnostic[], notes: string[]): RunIndex | undefined {
  if (!runs.length) return undefined;
  const first = runs[0]!;
  for (const r of runs.slice(1)) {
    if (r.run.inputs !== first.run.inputs) {
      diags.push({
        severity: 'error',
        file: r.from,
        message: `its run of ${r.run.config} was made from another queue, configuration or toolchain than the run in ${first.from}`,
        hint: 'import the shards of one run together (one plan, one image)',
      });
    }
  }
  const same = current && current.inputs !== undefined && current.inputs === (first.run.inputs ?? undefined);
  if (current && !same)
    notes.push(
      `the latest run of ${first.run.config} in this store was made from another queue, configuration or toolchain: the imported run replaces it in the latest-run index (its records stay in the store)`,
    );
  const entries = new Map<string, RunEntry & { from: string }>();
  for (const t of same ? current.toggles : []) entries.set(t.toggle, { ...t, from: 'the store' });
  for (const { from, run } of runs) {
    for (const t of run.toggles) {
      const had = entries.get(t.toggle);
      if (had && had.key !== t.key && had.status === 'ok' && t.status === 'ok') {
        diags.push({
          severity: 'error',
          file: from,
          message: `toggle ${t.toggle} of ${run.config} is record ${t.key.slice(0, 12)} here and ${had.key.slice(0, 12)} in ${had.from}`,
          hint: "the runs disagree on a toggle's inputs: import the shards of one run together",
        });
        continue;
      }
      if (had?.status !== 'ok') entries.set(t.toggle, { ...t, from });
    }
  }
  const order = [...new Set([...runs.flatMap((r) => r.run.order), ...(same ? (current.order ?? current.toggles.map((t) => t.toggle)) : [])])];
  const rank = new Map(order.map((n, i) => [n, i]));
  const toggles = [...entries.values()].sort((a, b) => (rank.get(a.toggle) ?? 1e9) - (rank.get(b.toggle) ?? 1e9)).map(({ from: _f, ...t }) => t);
  const started = [...runs.map((r) => r.run.started_at), ...(same ? [current.startedAt] : [])].sort()[0]!;
  const finished = [...runs.map((r) => r.run.finished_at), ...(same ? [current.finishedAt ?? null] : [])]
    .filter((x): x is string => !!x)
    .sort()
    .at(-1);
  // The same inputs (the base tree among them) are one base: the first run names it.
  const named = typeof first.run.base === 'string' && /^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(first.run.base) ? first.run.base : undefined;
  const base = named ?? (same ? current.base : undefined);
  return {
    config: first.run.config,
    ...(base ? { base } : {}),
    startedAt: started,
    ...(finished ? { finishedAt: finished } : {}),
    toggles,
    ...(first.run.inputs ? { inputs: first.run.inputs } : {}),
    order,
  };
}

/** Import store exports (see the top of this file). Throws TinyError naming every conflict; imports nothing then. */
export async function importStores(store: RecordStore, files: readonly string[]): Promise<ImportSummary> {
  if (!files.length) throw new TinyError('tiny store import: no file given', 2, [], 'tiny store import shard-1.tar shard-2.tar ...');
  await mkdir(store.tmp, { recursive: true });
  const work = join(store.tmp, `import.${process.pid}.${randomBytes(6).toString('hex')}`);
  await mkdir(work);
  try {
    const diags: Diagnostic[] = [];
    const candidates = new Map<string, Candidate>();
    const patchFiles = new Map<string, string>();
    const runs = new Map<string, Array<{ from: string; run: ExportedRun }>>();
    const summary: ImportSummary = { files: [...files], added: 0, same: 0, replaced_failed: 0, kept_ok: 0, patches: 0, runs: [], notes: [] };

    for (const [i, file] of files.entries()) {
      const dir = join(work, String(i));
      await mkdir(dir);
      await unpack(file, dir);
      let manifest: StoreManifest;
      try {
        manifest = JSON.parse(await readFile(join(dir, MANIFEST_NAME), 'utf8')) as StoreManifest;
      } catch {
        throw new TinyError(`${file}: no ${MANIFEST_NAME}: not a tiny store export`, 2, [], 'give a file written by `tiny store export`');
      }
      if (manifest.kind !== 'tiny-store-export' || manifest.schema_version !== STORE_EXPORT_SCHEMA) {
        throw new TinyError(
          `${file}: store export schema_version ${JSON.stringify(manifest.schema_version)}; this tiny reads version ${STORE_EXPORT_SCHEMA}`,
          2,
          [],
          'import it with the version of tiny that exported it, or export it again with this one',
        );
      }
      if (manifest.record_schema !== RECORD_SCHEMA || manifest.key_version !== KEY_VERSION) {
        throw new TinyError(
          `${file}: records of record schema ${manifest.record_schema}, key version ${manifest.key_version}; this tiny has ${RECORD_SCHEMA} and ${KEY_VERSION}`,
          2,
          [],
          'use the same version of tiny for the builds and the merge',
        );
      }
      const listed = new Map(manifest.records.map((r) => [r.key, r]));
      const onDisk = new Set<string>();
      for (const kk of await readdir(join(dir, 'records')).catch(() => [] as string[])) {
        for (const key of await readdir(join(dir, 'records', kk))) {
          if (!key.startsWith(kk) || !KEY_RE.test(key)) throw new TinyError(`${file}: records/${kk}/${key} is not where a record of that key belongs`, 2);
          onDisk.add(key);
          const rdir = join(dir, 'records', kk, key);
          const record = await checkRecordDir(file, rdir, key, listed.get(key));
          const other = candidates.get(key);
          if (!other) {
            candidates.set(key, { from: file, dir: rdir, record });
            continue;
          }
          const diff = contentDifferences(other.record, record, other.from);
          if (!diff.length) continue; // the same build twice (e.g. two shards made one key)
          if (other.record.status === 'failed' && record.status === 'ok') candidates.set(key, { from: file, dir: rdir, record });
          else if (other.record.status === 'ok' && record.status === 'failed') summary.kept_ok++;
          else if (other.record.status === 'ok') {
            diags.push({
              severity: 'error',
              file,
              message: `record ${key} (${describe(record)}) was built with other bytes here than in ${other.from}: ${diff.join(', ')}`,
              hint: 'the same inputs gave different bytes: the toolchain is not reproducible (compare with `tiny rebuild KEY`)',
            });
          }
        }
      }
      const absent = [...listed.keys()].filter((k) => !onDisk.has(k));
      if (absent.length)
        throw new TinyError(
          `${file}: the manifest lists record${absent.length > 1 ? 's' : ''} ${absent.map((k) => k.slice(0, 12)).join(', ')} that the tar does not hold`,
          2,
          [],
          'the export is damaged: export it again',
        );
      for (const sha of manifest.patches ?? []) {
        const p = join(dir, 'patches', sha.slice(0, 2), `${sha}.patch`);
        const data = await readFile(p).catch(() => undefined);
        if (!data || sha256(data) !== sha) throw new TinyError(`${file}: patch ${sha.slice(0, 12)} is missing or does not match its sha256`, 2, [], 'the export is damaged: export it again');
        patchFiles.set(sha, p);
      }
      for (const config of manifest.runs ?? []) {
        let run: ExportedRun;
        try {
          run = JSON.parse(await readFile(join(dir, 'runs', `${config}.json`), 'utf8')) as ExportedRun;
        } catch {
          throw new TinyError(`${file}: runs/${config}.json is missing or not JSON`, 2, [], 'the export is damaged: export it again');
        }
        if (run.config !== config || !Array.isArray(run.toggles) || run.toggles.some((t) => !KEY_RE.test(t.key) || !candidates.has(t.key))) {
          throw new TinyError(`${file}: runs/${config}.json names records the export does not hold`, 2, [], 'the export is damaged: export it again');
        }
        const list = runs.get(config) ?? [];
        list.push({ from: file, run });
        runs.set(config, list);
      }
    }

    // Against the store.
    const toMove: Candidate[] = [];
    for (const [key, c] of [...candidates.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const existing = await lookup(store, key);
      if (!existing) {
        toMove.push(c);
        continue;
      }
      const diff = contentDifferences(existing, c.record, 'the store');
      if (!diff.length) summary.same++;
      else if (existing.status === 'failed' && c.record.status === 'ok') toMove.push(c);
      else if (existing.status === 'ok' && c.record.status === 'failed') summary.kept_ok++;
      else if (existing.status === 'failed') summary.same++;
      else {
        diags.push({
          severity: 'error',
          file: c.from,
          message: `record ${key} (${describe(c.record)}) was built with other bytes here than in the store (${recordDir(store, key)}, built ${existing.finishedAt}): ${diff.join(', ')}`,
          hint: 'the same inputs gave different bytes: the toolchain is not reproducible (compare with `tiny rebuild KEY`)',
        });
      }
    }
    const merged = new Map<string, RunIndex>();
    for (const [config, list] of [...runs.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const index = mergeRuns(list, await readRunIndex(store.cacheDir, config).catch(() => undefined), diags, summary.notes);
      if (index) merged.set(config, index);
    }
    if (diags.length) {
      const n = diags.length;
      throw new TinyError(`nothing imported: ${n} conflict${n > 1 ? 's' : ''}`, 1, diags);
    }

    for (const c of toMove) {
      const final = recordDir(store, c.record.key);
      await mkdir(join(final, '..'), { recursive: true });
      const existing = await lookup(store, c.record.key);
      if (existing || (await stat(final).catch(() => undefined))) {
        // A failed record replaced by an ok one (or an unreadable directory by a whole record):
        // moved aside first (a rename), never half-written.
        const trash = join(store.tmp, `replaced-${c.record.key}.${process.pid}.${randomBytes(4).toString('hex')}`);
        await rename(final, trash);
        await rm(trash, { recursive: true, force: true });
        if (existing) summary.replaced_failed++;
        else summary.added++;
      } else summary.added++;
      try {
        await rename(c.dir, final);
      } catch (e) {
        // Another process saved the same key meanwhile: keys are content addresses, keep theirs.
        if (!['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
      }
    }
    for (const [sha, p] of patchFiles) {
      const dest = patchFile(store.cacheDir, sha);
      if (await stat(dest).catch(() => undefined)) continue;
      await mkdir(join(dest, '..'), { recursive: true });
      await rename(p, dest);
      summary.patches++;
    }
    for (const [config, index] of merged) {
      await writeRunIndex(store.cacheDir, index);
      summary.runs.push({ config, toggles: index.toggles.length });
    }
    return summary;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
