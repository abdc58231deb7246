// Where `tiny diff` gets its two symbol tables: an ELF file (nm --size-sort, as bloat-o-meter
// runs it), a record of the store by key or unique key prefix (its stored symbol table), or a
// toggle of a configuration's latest run (`--config webserver all-off`). The I/O of src/diff/.

import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { runNm } from '../measure/measure.js';
import type { SymbolEntry } from '../measure/types.js';
import { corruptRecordError, inspectRecord, keysWithPrefix, latestRun, readSymbols, type BuildRecord, type RecordStore } from '../store/index.js';
import { TinyError } from '../util/diagnostics.js';
import { ExecError } from '../util/exec.js';
import { closest } from '../util/suggest.js';
import type { DiffSide } from './diff.js';

export interface ResolvedSide {
  side: DiffSide;
  symbols: SymbolEntry[];
}

export interface ResolveOptions {
  /** The nm program (`${prefix}nm` for cross binutils). */
  nm: string;
  /** Opened lazily: only record and toggle arguments need the store. */
  store: () => Promise<RecordStore>;
  /** Lets toggle names of this configuration's latest run stand for their records. */
  config?: string;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

async function fromRecord(store: RecordStore, record: BuildRecord, arg: string): Promise<ResolvedSide> {
  const what = `record ${record.key.slice(0, 12)} (${record.config} ${record.toggle.name})`;
  if (record.status !== 'ok' || !record.artifacts.symbols) throw new TinyError(`${what} ${record.status === 'failed' ? 'is a failed build: it has' : 'has'} no symbol table to compare`, 2);
  const symbols = await readSymbols(store, record);
  if (!symbols) throw new TinyError(`${what} has no symbol table`, 2);
  return { side: { arg, kind: 'record', key: record.key, config: record.config, toggle: record.toggle.name }, symbols };
}

/** One argument of `tiny diff`: a file first, then a record key (prefix), then a toggle name. */
export async function resolveSide(arg: string, opts: ResolveOptions): Promise<ResolvedSide> {
  if (await isFile(arg)) {
    const path = resolve(arg);
    try {
      return { side: { arg, kind: 'file', path }, symbols: await runNm(opts.nm, path, process.cwd()) };
    } catch (e) {
      if (e instanceof ExecError) throw new TinyError(`${opts.nm} cannot read ${arg}: ${e.result.stderr.trim() || `exit ${e.result.code}`}`, 2);
      throw e;
    }
  }
  if (opts.config !== undefined) {
    const store = await opts.store();
    const run = await latestRun(store, opts.config);
    if (!run) throw new TinyError(`no \`tiny build --config ${opts.config}\` run recorded in ${store.cacheDir}`, 2);
    const entry = run.results.find((r) => r.toggle === arg);
    if (entry) {
      if (!entry.record) throw new TinyError(`toggle ${arg} of the last ${opts.config} run: record ${entry.key.slice(0, 12)} is no longer in the store`, 2);
      return fromRecord(store, entry.record, arg);
    }
    if (!/^[0-9a-f]{4,64}$/.test(arg)) {
      const guess = closest(
        arg,
        run.results.map((r) => r.toggle),
      );
      throw new TinyError(
        `${arg}: no such file, and no toggle ${arg} in the last ${opts.config} run`,
        2,
        [],
        guess ? `did you mean ${guess}?` : `toggles: ${run.results.map((r) => r.toggle).join(', ')}`,
      );
    }
  }
  if (/^[0-9a-f]{4,64}$/.test(arg)) {
    const store = await opts.store();
    const keys = await keysWithPrefix(store, arg);
    if (keys.length > 1)
      throw new TinyError(
        `record key prefix ${arg} is ambiguous: ${keys
          .slice(0, 5)
          .map((k) => k.slice(0, 16))
          .join(', ')}${keys.length > 5 ? ', ...' : ''}`,
        2,
      );
    const found = keys.length ? await inspectRecord(store, keys[0]!) : undefined;
    if (found?.state === 'corrupt') throw corruptRecordError(keys[0]!, found);
    const record = found?.state === 'ok' ? found.record : undefined;
    if (!record) throw new TinyError(`${arg}: no such file, and no record with that key in ${store.root}`, 2);
    return fromRecord(store, record, arg);
  }
  throw new TinyError(`${arg}: no such file`, 2, [], 'give two vmlinux files, two record keys (or unique prefixes of 4+ hex digits), or --config NAME and two toggle names');
}
