// `tiny rebuild RECORD`: rebuild a record from its inputs alone (fresh worktree and build
// directory, same image, same .config, ccache off) and compare each artifact's sha256 with the
// recorded one. Rendering only: the work is in src/matrix/rebuild.ts.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { findRecord, rebuildJson, rebuildRecord } from '../matrix/rebuild.js';
import { formatDuration } from '../matrix/report.js';
import { loadQueue } from '../queue/load.js';
import { renderTable } from '../report/table.js';
import { openRecordStore, withBuildLock } from '../store/index.js';
import { openTreeStore } from '../tree/index.js';
import { cacheDir } from '../util/cache.js';
import { EXIT } from '../util/diagnostics.js';
import { addFormatOptions, addQueueOption, outputFormat, queueDir, setExit, writeOut } from './options.js';

export function registerRebuildCommand(program: Command): void {
  const cmd = program
    .command('rebuild')
    .description('rebuild a build record from its inputs alone and compare the artifacts (sha256)')
    .argument('<record>', 'a record key, or a unique prefix of one (see `tiny build --json`)')
    .option('--jobs <n>', 'make -j N (default: the number of cores)', (v) => Number(v))
    .option('--keep', 'keep the rebuild worktree and build directory (under the cache, rebuild/)')
    .addHelpText(
      'after',
      `
The base tree comes from the tree store (by its hash), the patches from the cache's patch
store or the queue (by sha256), the .config from the record; the image is the one the record
names (by ID). Exit status: 0 every artifact is the same, 1 one differs (or the build failed),
2 bad input.`,
    );
  addQueueOption(cmd);
  addFormatOptions(cmd);
  cmd.action(async (ref: string, opts: Record<string, unknown>, command: Command) => {
    const format = outputFormat(opts);
    const cache = cacheDir();
    const err = (l: string) => process.stderr.write(l.endsWith('\n') ? l : l + '\n');
    const records = await openRecordStore(cache);
    const record = await findRecord(records, ref);
    const treeStore = await openTreeStore(cache);
    const qdir = queueDir(opts);
    const queue = existsSync(join(qdir, 'queue.yaml')) ? await loadQueue(qdir).catch(() => undefined) : undefined;
    // Rebuilding uses the toolchain's container and the cache: one at a time, like tiny build.
    const r = await withBuildLock(
      cache,
      () =>
        rebuildRecord(record, {
          cacheDir: cache,
          treeStore,
          records,
          ...(queue ? { queue } : {}),
          ...(opts.jobs ? { jobs: opts.jobs as number } : {}),
          ...(opts.keep ? { keep: true } : {}),
          onLog: (l) => err(`tiny: ${l}`),
        }),
      { onWait: (pid) => err(`tiny: another tiny build${pid ? ` (process ${pid})` : ''} is using the cache ${cache}: waiting...`) },
    );
    if (format === 'json') {
      writeOut(JSON.stringify(rebuildJson(r), null, 2));
    } else {
      const head = `rebuild of ${record.key.slice(0, 16)} (${record.config} ${record.toggle.name}, ${record.inputs.runtime}, image ${record.inputs.toolchain.image.replace(/^sha256:/, '').slice(0, 12)}) in ${formatDuration(r.durationMs)}\n\n`;
      const table = renderTable(
        {
          columns: [{ header: 'artifact' }, { header: 'recorded sha256' }, { header: 'rebuilt sha256' }, { header: 'result' }],
          rows: r.artifacts.map((a) => [a.artifact, a.recorded ?? '-', a.rebuilt ?? '-', a.same ? 'same' : 'DIFFERENT']),
        },
        format === 'md' ? 'md' : 'text',
      );
      writeOut(
        head +
          (r.error ? `the rebuild failed: ${r.error}\n` : table) +
          `\n${r.same ? 'same: every artifact rebuilt bit for bit' : 'DIFFERENT'}${opts.keep ? ` (kept in ${r.buildDir})` : ''}; log: ${r.log}`,
      );
    }
    setExit(command, r.same && !r.error ? EXIT.ok : EXIT.checkFailed);
  });
}
