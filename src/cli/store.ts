// `tiny store export` and `tiny store import`: records travel between machines (shards of a
// matrix, CI jobs) as one deterministic tar each; importing is a union of content-keyed records.
// Parsing and rendering only: the work is in src/store/export.ts.

import type { Command } from 'commander';
import { exportStore, importStores, STORE_EXPORT_SCHEMA } from '../store/export.js';
import { openRecordStore } from '../store/index.js';
import { cacheDir } from '../util/cache.js';
import { collect, writeOut } from './options.js';

export function registerStoreCommands(program: Command): void {
  const store = program.command('store').description('move build records between machines: export them to a tar, import tars (a union; a conflict is an error)');

  store
    .command('export')
    .description('write records (with their patches and latest-run entries) to one deterministic tar')
    .option('--config <name>', "only this configuration's records")
    .option('--keys <keys>', 'only these records (full keys or unique prefixes of 8+ hex digits; comma-separated or repeated)', collect)
    .requiredOption('--out <file>', 'the tar to write (atomically)')
    .option('--json', 'print what was written as JSON')
    .action(async (opts: { config?: string; keys?: string[]; out: string; json?: boolean }) => {
      const s = await exportStore(await openRecordStore(cacheDir()), { out: opts.out, ...(opts.config ? { config: opts.config } : {}), ...(opts.keys ? { keys: opts.keys } : {}) });
      if (opts.json) writeOut(JSON.stringify({ schema_version: STORE_EXPORT_SCHEMA, file: s.file, records: s.records, patches: s.patches, runs: s.runs, bytes: s.bytes }, null, 2));
      else
        writeOut(
          `${s.file}: ${s.records} record${s.records === 1 ? '' : 's'}, ${s.patches} patch${s.patches === 1 ? '' : 'es'}${s.runs.length ? `, latest-run entries of ${s.runs.join(', ')}` : ''} (${s.bytes} bytes)`,
        );
    });

  store
    .command('import')
    .description('add the records of store exports to this cache: new keys are added, equal ones kept; the same key with other content is an error and nothing is imported')
    .argument('<files...>', 'tars written by `tiny store export`')
    .option('--json', 'print what was imported as JSON')
    .addHelpText(
      'after',
      `
Content of a record: its status and the sha256 of every artifact but the build log. An ok
record replaces a failed one of the same key; a failed one never replaces an ok one. The
latest-run entries of the exports merge into the latest-run index (tiny report reads it) when
they were made from the same queue, configuration and toolchain.

Exit status: 0 imported, 1 a conflict (nothing imported), 2 not a store export, or a newer one.`,
    )
    .action(async (files: string[], opts: { json?: boolean }) => {
      const s = await importStores(await openRecordStore(cacheDir()), files);
      for (const n of s.notes) process.stderr.write(`tiny: ${n}\n`);
      if (opts.json) {
        writeOut(JSON.stringify({ schema_version: STORE_EXPORT_SCHEMA, ...s }, null, 2));
        return;
      }
      const runs = s.runs.map((r) => `${r.config} (${r.toggles} toggle${r.toggles === 1 ? '' : 's'})`).join(', ');
      writeOut(
        `imported ${files.length} export${files.length === 1 ? '' : 's'}: ${s.added} record${s.added === 1 ? '' : 's'} added, ${s.same} already here` +
          (s.replaced_failed ? `, ${s.replaced_failed} failed build${s.replaced_failed === 1 ? '' : 's'} replaced by an ok one` : '') +
          (s.kept_ok ? `, ${s.kept_ok} failed build${s.kept_ok === 1 ? '' : 's'} left out (an ok record of the key is here)` : '') +
          (runs ? `; latest run: ${runs}` : ''),
      );
    });
}
