// `tiny queue refresh` and `tiny queue rebase`: keeping the queue's patches up to date.

import type { Command } from 'commander';
import { resolve } from 'node:path';
import { resolveBases } from '../pipeline/bases.js';
import { loadQueue } from '../queue/load.js';
import { checkAllBases } from '../rebase/matrix.js';
import { pickSpans, refreshSpans, renderRefresh, spansFromStore, spansFromWorktree } from '../rebase/refresh.js';
import { abortRebase, continueRebase, sourceDocFor, startRebase, type RebaseOutcome, type RebaseState } from '../rebase/rebase.js';
import type { Carry } from '../rebase/queuefile.js';
import { meantFor } from '../merge/check.js';
import { upstreamAdvice } from '../rebase/help.js';
import { renderMatrix, summaryLine } from '../report/check.js';
import { renderTable } from '../report/table.js';
import { resolveSource, sourceFromCli } from '../source/index.js';
import { importBase, openTreeStore } from '../tree/index.js';
import { cacheDir } from '../util/cache.js';
import { EXIT, TinyError } from '../util/diagnostics.js';
import { ALLOW_OTHER_BASE, ALLOW_OTHER_BASE_HELP, addQueueOption, queueDir, writeOut } from './options.js';

function setExit(cmd: Command, code: number): void {
  let root = cmd;
  while (root.parent) root = root.parent;
  const current = (root.getOptionValue('exitCode') as number | undefined) ?? 0;
  root.setOptionValue('exitCode', Math.max(current, code));
}

export function registerUpkeepCommands(queue: Command): void {
  const refresh = queue
    .command('refresh')
    .description('regenerate patch files from their commits (quilt refresh): header kept, stable diff, unchanged patches untouched')
    .argument('[patch...]', 'refresh only these patches (default: all)')
    .option('--from <dir>', 'a worktree made by `tiny queue apply --out DIR` in which patches were changed (one commit per patch)')
    .option('--tree <dir>', "the base tree (directory or tarball) instead of the queue's base (without --from)")
    .option(ALLOW_OTHER_BASE, ALLOW_OTHER_BASE_HELP)
    .option('--dry-run', 'say what would change, write nothing')
    .addHelpText(
      'after',
      `
Without --from, the queue is applied on its base in the tree store and each patch is rewritten
from its commit: patches that apply only with offsets or fuzz are brought up to date, others are
left byte for byte as they are. With --from DIR, the commits of DIR since its base are matched to
the queue's patches by subject, in series order, and each patch is rewritten from its commit;
changes not committed in DIR (tracked files, and new files you git-added) go into the topmost
patch. The typical edit:

  tiny queue apply --select compat-gcc12 --out W
  $EDITOR W/Makefile && git -C W commit -a --fixup=<commit of the patch>
  git -C W rebase -i --autosquash <base commit>     # (or just edit and refresh the top patch)
  tiny queue refresh --from W

The header (From, Subject, description, trailers) is kept; a format-patch diffstat is
regenerated; the diff has a/ b/ paths, files in path order, 3 lines of context, no index lines.`,
    );
  addQueueOption(refresh);
  refresh.action(async (names: string[], opts: Record<string, unknown>) => {
    const q = await loadQueue(queueDir(opts));
    const store = await openTreeStore(cacheDir());
    let spans;
    if (opts.from) {
      if (opts.tree) throw new TinyError('--from and --tree do not go together: the worktree has its own base', 2);
      const r = await spansFromWorktree(store, q, opts.from as string);
      const pinned = [q.base, ...q.otherBases].find((b) => b.version === r.version)?.tree;
      if (pinned && pinned !== r.baseTree) process.stderr.write(`tiny: note: ${opts.from as string} is based on ${r.version} tree ${r.baseTree.slice(0, 12)}, not the pinned ${pinned.slice(0, 12)}\n`);
      if (r.foldedInto) process.stderr.write(`tiny: uncommitted changes in ${opts.from as string} go into ${r.foldedInto} (the topmost patch)\n`);
      spans = r.spans;
    } else {
      const [base] = await resolveBases(q, store, cacheDir(), { trees: opts.tree ? [opts.tree as string] : [], allowOtherBase: Boolean(opts.allowOtherBase) });
      spans = await spansFromStore(store, q, base!.version, base!.commit);
    }
    const results = await refreshSpans(store, pickSpans(spans, q, names), { dryRun: Boolean(opts.dryRun) });
    writeOut(renderRefresh(results, Boolean(opts.dryRun)));
  });

  const rebase = queue
    .command('rebase')
    .description('forward-port the queue onto a new base with git 3-way merges; stops on a conflict')
    .option('--onto <version>', 'the new base: a version listed under bases: in queue.yaml')
    .option('--tree <dir>', 'the new base: a kernel tree (directory or tarball)')
    .option('--from <version>', "the base to carry the patches from (default: the queue's base:)")
    .option('--move', 'move the queue to the new base (rewrite the patches in place, drop old bases where they no longer apply) instead of adding the base beside the old ones')
    .option('--out <dir>', 'where to stop on a conflict (a worktree; default: a scratch worktree in the cache)')
    .option('--continue', 'go on after resolving a conflict')
    .option('--abort', 'forget the rebase in progress; the queue stays as it was')
    .option('--format <format>', 'text or md', 'text')
    .addHelpText(
      'after',
      `
Each patch's commit (the queue applied on its base) is cherry-picked onto the new base:
  clean     applies as it is      merged    needed offsets or a 3-way merge
  upstream  the new base has it   conflict  stops: resolve, git add, --continue
When every patch is through, the queue claims the new base beside the ones it claimed: a
patch whose file applies there as it is (or with an offset) claims it too (bases:), a patch
whose port differs gets a per-base variant (patches/<version>/..., its own entry with
bases: [<version>]), a patch the new base already has does not claim it; the old files stay
as they are. With --move the patches are rewritten in place instead, base: becomes the new
base and the old one stays under bases: only while every patch still applies there. Then the
patch x base matrix is printed. Nothing in the queue is written before that; --abort forgets
it all.

Exit status: 0 rebased, 1 stopped at a conflict (or a conflict is still unresolved), 2 bad input.`,
    );
  addQueueOption(rebase);
  rebase.action(async (opts: Record<string, unknown>, cmd: Command) => {
    const dir = queueDir(opts);
    const store = await openTreeStore(cacheDir());
    const format = opts.format === 'md' ? 'md' : 'text';
    const modes = ['onto', 'tree', 'continue', 'abort'].filter((k) => opts[k] !== undefined);
    if (modes.length !== 1) {
      throw new TinyError('say what to do: --onto VERSION or --tree DIR to start, --continue or --abort for a rebase in progress', 2);
    }
    if (opts.abort) {
      const s = await abortRebase(store, dir);
      writeOut(`rebase of ${s.queueDir} onto ${s.onto.version} aborted; the queue is as it was` + (s.ownWorktree ? '' : ` (worktree ${s.worktree} kept)`));
      return;
    }
    let outcome: RebaseOutcome;
    if (opts.continue) {
      outcome = await continueRebase(store, dir);
    } else {
      const q = await loadQueue(dir);
      const mode = opts.move ? 'move' : 'add';
      const claimed = [q.base, ...q.otherBases].map((b) => b.version);
      const fromVersion = opts.from as string | undefined;
      if (fromVersion !== undefined) {
        if (mode === 'move' && fromVersion !== q.base.version) {
          throw new TinyError(`--move carries the queue from its base: ${q.base.version}, not ${fromVersion}`, 2, [], 'leave out --from, or add the new base beside the others (without --move)');
        }
        if (!claimed.includes(fromVersion)) throw new TinyError(`the queue claims no base ${fromVersion}`, 2, [], `its bases: ${claimed.join(', ')}`);
      }
      // --tree is the new base here: the queue's own base comes from its sources only.
      const [from] = await resolveBases(q, store, cacheDir(), {
        ...(fromVersion !== undefined ? { versions: [fromVersion] } : {}),
        noSourceHint: (v) =>
          `a rebase starts from the queue's own base ${v}: fix its sources in ${q.file} (base.sources: a directory or tarball of ${v}${q.base.tree ? `, tree ${q.base.tree.slice(0, 12)}` : ''}); --tree names the new base, not this one`,
      });
      let onto;
      if (opts.tree) {
        const tree = resolve(opts.tree as string);
        const imported = await importBase(store, await resolveSource(sourceFromCli(tree), { cacheDir: cacheDir() }));
        onto = { ...imported, base: { version: imported.version, tree: imported.tree, sources: [sourceDocFor(tree)] } };
        if (mode === 'add' && claimed.includes(imported.version)) {
          throw new TinyError(
            `the queue already claims ${imported.version} (another tree): a queue claims each version once`,
            2,
            [],
            `to replace that tree with this one, --move the queue${imported.version === q.base.version ? '' : ` from ${imported.version}`}`,
          );
        }
      } else {
        const v = opts.onto as string;
        if (!q.otherBases.some((b) => b.version === v)) {
          throw new TinyError(`queue.yaml lists no base ${v} under bases:`, 2, [], 'add it there (version, tree, sources), or give the tree with --tree DIR');
        }
        const [imported] = await resolveBases(q, store, cacheDir(), { versions: [v] });
        onto = { version: imported!.version, commit: imported!.commit, tree: imported!.tree, base: { version: v, tree: imported!.tree, sources: [] } };
      }
      process.stderr.write(
        `tiny: rebasing ${q.series.filter((p) => meantFor(p, from!.version)).length} patches from ${from!.version} (${from!.origin}) onto ${onto.version} (tree ${onto.tree.slice(0, 12)})\n`,
      );
      outcome = await startRebase(store, q, {
        from: { version: from!.version, commit: from!.commit, tree: from!.tree },
        onto,
        ...(opts.out ? { worktree: resolve(opts.out as string) } : {}),
        mode,
      });
    }
    const s = outcome.state;
    writeOut(
      `rebase ${s.from.version} -> ${s.onto.version}\n` +
        renderTable(
          {
            columns: [{ header: 'patch' }, { header: 'result' }, { header: 'detail' }],
            rows: s.patches.map((p, i) => [
              p.name,
              p.status ?? (i === s.next ? 'stopped' : 'pending'),
              [p.detail, ...(p.upstream?.length ? [`upstream has ${p.upstream.map((d) => `CONFIG_${d.symbol}`).join(', ')}`] : [])].filter(Boolean).join('; '),
            ]),
          },
          format,
        ),
    );
    if (s.conflict) {
      writeOut(
        [
          '',
          `CONFLICT in ${s.conflict.name}: the 3-way merge left conflict markers in`,
          ...s.conflict.files.map((f) => `  ${s.worktree}/${f}`),
          ...conflictIntent(s),
          '',
          'To resolve:',
          `  1. edit those files in ${s.worktree}: keep what the patch must do on ${s.onto.version}, remove the`,
          '     <<<<<<< ||||||| ======= >>>>>>> markers (the ||||||| part is the old base)',
          `  2. git -C ${s.worktree} add <files>`,
          `  3. tiny queue rebase --continue${opts.queue ? ` --queue ${opts.queue as string}` : ''}`,
          `Or \`tiny queue rebase --abort\` to leave the queue as it was. Nothing in the queue has been changed yet.`,
          ...upstreamAdviceOf(s),
        ].join('\n'),
      );
      setExit(cmd, EXIT.checkFailed);
      return;
    }
    if (outcome.carried) {
      const of = (kind: Carry['kind']) => outcome.carried!.filter((c) => c.carry.kind === kind);
      const same = of('same');
      const moved = same.filter((c) => outcome.rewritten!.find((r) => r.name === c.name)?.changed);
      const variants = of('variant');
      const upstream = of('upstream');
      const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 'es'}`;
      const q = await loadQueue(s.queueDir);
      const others = [q.base, ...q.otherBases].map((b) => b.version).filter((v) => v !== s.onto.version);
      writeOut(
        `\nqueue.yaml: claims ${s.onto.version} beside ${others.join(', ')}` +
          `\n  ${n(same.length, 'patch')} as they are` +
          (moved.length ? ` (${moved.length} with an offset: ${moved.map((c) => c.name).join(', ')})` : '') +
          `\n  ${n(variants.length, 'patch')} ported to a variant of ${s.onto.version}${variants.length ? ':' : ''}` +
          variants.map((c) => `\n    ${c.name}: ${(c.carry as { file: string }).file} (${outcome.rewritten!.find((r) => r.name === c.name)?.why})`).join('') +
          (upstream.length ? `\n  ${n(upstream.length, 'patch')} not carried, ${s.onto.version} already has ${upstream.length === 1 ? 'it' : 'them'}: ${upstream.map((c) => c.name).join(', ')}` : ''),
      );
      const checks = await checkAllBases(q, store, cacheDir());
      writeOut(`\nmergeability (in order; alone when it differs)\n${renderMatrix(checks, format)}`);
      for (const c of checks) writeOut(summaryLine(c));
      return;
    }
    const changed = outcome.rewritten!.filter((r) => r.changed);
    const dropped = outcome.droppedBases ?? [];
    const oldDropped = dropped.some((d) => d.version === s.from.version);
    const patchesWord = (n: number) => `${n} rewritten patch${n === 1 ? '' : 'es'}`;
    writeOut(
      `\nrewrote ${changed.length} of ${outcome.rewritten!.length} patches for ${s.onto.version}` +
        (changed.length ? ':\n' + changed.map((r) => `  ${r.file} (${r.why})`).join('\n') : '') +
        `\nqueue.yaml: base ${s.onto.version} (tree ${s.onto.tree.slice(0, 12)})` +
        (s.from.version === s.onto.version ? `, replacing the previous ${s.from.version} tree` : oldDropped ? '' : `, bases: ${s.from.version} (previous base)`) +
        dropped
          .map((d) => `\n${d.version} is no longer claimed (left out of bases:): ${patchesWord(d.failing.length)} fail${d.failing.length === 1 ? 's' : ''} there in order (${d.failing.join(', ')})`)
          .join('') +
        (outcome.droppedPatches?.length ? `\nleft the series, meant only for a base no longer claimed (their files stay): ${outcome.droppedPatches.join(', ')}` : ''),
    );
    const q = await loadQueue(s.queueDir);
    const checks = await checkAllBases(q, store, cacheDir());
    writeOut(`\nmergeability (in order; alone when it differs)\n${renderMatrix(checks, format)}`);
    for (const c of checks) writeOut(summaryLine(c));
  });
}

/** Beside each conflict: what the patch meant there (its hunk) and what the new base has. */
function conflictIntent(s: RebaseState): string[] {
  const out: string[] = [];
  for (const h of s.conflict?.help ?? []) {
    out.push('', `${h.file}:${h.line}: the patch's hunk (its intent):`);
    out.push(...(h.intent.length ? h.intent.map((l) => `    ${l}`) : ['    (no hunk of the patch matches: see the ======= part)']));
    out.push(`  ${s.onto.version} has there:`);
    out.push(...(h.newBase.length ? h.newBase.map((l) => `    ${l}`) : ['    (nothing: the new base removed these lines)']));
  }
  return out;
}

/** The advice when the new base already declares an option the stopped patch adds. */
function upstreamAdviceOf(s: RebaseState): string[] {
  const entry = s.patches[s.next];
  if (!entry?.upstream?.length) return [];
  return ['', ...upstreamAdvice(entry.name, s.onto.version, s.from.version, entry.upstream, s.worktree)];
}
