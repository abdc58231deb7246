// `tiny release VERSION`, `tiny release verify DIR`, `tiny release changelog OLD NEW`: argument
// parsing and rendering; the work is in src/release/.

import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import {
  assembleRelease,
  buildChangelog,
  checkSums,
  checkVersion,
  compareRelease,
  MANIFEST_FILE,
  readManifestDocument,
  prepareRelease,
  releaseFiles,
  renderChangelog,
  changelogJson,
  SIGNATURE_FILE,
  utcDate,
  verifySignature,
  writeRelease,
  type ReleaseData,
  type ReleaseManifest,
} from '../release/index.js';
import { readReportDocument, type ReportDocument } from '../report/json.js';
import { cacheDir } from '../util/cache.js';
import { EXIT, TinyError } from '../util/diagnostics.js';
import { start } from '../util/exec.js';
import { exists, sha256 } from '../util/fs.js';
import { loadQueue } from '../queue/load.js';
import { configRoot } from './build.js';
import { ALLOW_OTHER_BASE, ALLOW_OTHER_BASE_HELP, collect, QUEUE_HELP, queueDir, writeOut } from './options.js';
import { TOOL_VERSION } from '../util/version.js';

const TINY_BIN = fileURLToPath(new URL('../../bin/tiny.js', import.meta.url));

function setExit(cmd: Command, code: number): void {
  let root = cmd;
  while (root.parent) root = root.parent;
  const current = (root.getOptionValue('exitCode') as number | undefined) ?? 0;
  root.setOptionValue('exitCode', Math.max(current, code));
}

const err = (line: string) => process.stderr.write(line.endsWith('\n') ? line : `${line}\n`);

/** `tiny build` for the configuration, its output on our stderr (a release's stdout is the listing). */
async function runBuild(args: { config: string; queue: string; tree?: string; allowOtherBase?: boolean }): Promise<void> {
  const argv = [TINY_BIN, 'build', '--config', args.config, '--queue', args.queue, ...(args.tree ? ['--tree', args.tree] : []), ...(args.allowOtherBase ? [ALLOW_OTHER_BASE] : [])];
  err(`tiny: $ tiny ${argv.slice(1).join(' ')}`);
  const { code } = await start(process.execPath, argv, { stdout: 2, stderr: 2 }).exit;
  // 1: a toggle failed or a budget is exceeded: the release's own checks will say so.
  if (code !== 0 && code !== 1) throw new TinyError(`tiny build --config ${args.config} exited with ${code}`, 2, [], 'fix what it reports above, then release again');
}

function listing(files: ReadonlyMap<string, Buffer>): string {
  const names = [...files.keys()].sort();
  const width = Math.max(...names.map((n) => n.length));
  return names.map((n) => `${n.padEnd(width)}  ${String(files.get(n)!.length).padStart(9)}  ${sha256(files.get(n)!)}`).join('\n') + '\n';
}

async function readManifest(dir: string): Promise<ReleaseManifest> {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new TinyError(`${file} not found`, 2, [], 'point at a release directory (OUT/VERSION, as `tiny release VERSION` writes it)');
  }
  try {
    return readManifestDocument(JSON.parse(text));
  } catch (e) {
    throw new TinyError(`${file}: ${(e as Error).message}`, 2, [], 'it is written by `tiny release`; regenerate the release');
  }
}

async function readSizes(dir: string, version: string): Promise<ReportDocument | undefined> {
  const file = join(dir, releaseFiles(version).sizesJson);
  if (!(await exists(file))) return undefined;
  let doc: ReportDocument | undefined;
  try {
    doc = readReportDocument(JSON.parse(await readFile(file, 'utf8')));
  } catch (e) {
    throw new TinyError(`${file}: ${(e as Error).message}`, 2, [], 'it is written by `tiny release`; regenerate the release');
  }
  if (!doc) throw new TinyError(`${file} is not a size report tiny knows`, 2, [], 'it is written by `tiny release`; regenerate the release');
  return doc;
}

export function registerReleaseCommand(program: Command): void {
  const release = program
    .command('release')
    .description('publish the queue: combined patch, broken-out quilt tarball, size report, checksums; byte-for-byte reproducible')
    .argument('<version>', 'the release version, e.g. 2.6.9-tiny1 (written to OUT/VERSION/)')
    .option('--queue <dir>', QUEUE_HELP)
    .option('--tree <dir>', "the base kernel tree (directory or tarball) instead of the queue's")
    .option(ALLOW_OTHER_BASE, ALLOW_OTHER_BASE_HELP)
    .option('--config <name>', 'the build configuration: its patch selection is released and its records make the size report')
    .option('--select <symbols>', 'without --config: the guard symbols that select the patches (comma-separated)', collect)
    .option('--out <dir>', 'where to write the release directory OUT/VERSION', 'releases')
    .option('--force', 'release even when the queue check, a budget or the size report fails (recorded in the release)')
    .option('--sign <key>', 'gpg key to sign SHA256SUMS with (default: $TINY_RELEASE_KEY; unsigned when neither is set)')
    .addHelpText(
      'after',
      `
Writes OUT/VERSION/ atomically (built in a directory next to it, then renamed):
  VERSION.patch, .patch.xz, .patch.bz2   the released series as one patch (git diff of the base
                                         and the series applied with git in the tree store)
  VERSION-broken-out.tar.xz              README, queue.yaml and patches/ (a quilt series):
                                         QUILT_PATCHES=.../patches quilt push -a applies it
  VERSION-sizes.md, .json, .html         the size report of the configuration's records
  release.json                           inputs, patches (sha256 and content hash), checks, --force
  SHA256SUMS (+ SHA256SUMS.asc)          checksums of every file (+ a detached gpg signature)

Same inputs, same bytes: tar entries sorted, uid/gid 0 (root), modes 0644/0755, every mtime the
source date: $SOURCE_DATE_EPOCH, else the last commit touching the queue when it is in git and
clean, else the newest mtime of its files (release.json says which). xz (--threads=1 -6) and
bzip2 (-9) store no names or times.

The patches: those of the configuration (--config: its queue.select, base_select and the
toolchain's needs_compat, as tiny build selects them), or those the guard symbols of --select
select. The size report comes from the configuration's latest tiny build run when it built
exactly these patches on this base; otherwise tiny build runs first.

A release is refused (exit 1) when a patch fails the queue check, a budget of the
configuration is exceeded, a toggle failed, or there is no size report; --force releases
anyway and records it (release.json, README).

  tiny release verify DIR        regenerate DIR and compare every file byte for byte
  tiny release changelog OLD NEW patches added, removed and changed, with size deltas

Exit status: 0 released, 1 refused, 2 bad input.`,
    )
    .action(async (version: string, opts: Record<string, unknown>, cmd: Command) => {
      checkVersion(version);
      const out = resolve(opts.out as string, version);
      if (await exists(out)) throw new TinyError(`${out} already exists`, 2, [], 'a release is never overwritten: remove it first, or release another version');
      if (opts.config !== undefined && opts.select !== undefined) throw new TinyError('--config and --select both choose the patches: give one', 2);
      const queue = queueDir(opts);
      const signKey = (opts.sign as string | undefined) ?? (process.env.TINY_RELEASE_KEY || undefined);
      const prepared = await prepareRelease({
        version,
        queueDir: queue,
        cacheDir: cacheDir(),
        configRoot: configRoot(),
        ...(opts.tree ? { tree: opts.tree as string } : {}),
        ...(opts.allowOtherBase ? { allowOtherBase: true } : {}),
        ...(opts.config !== undefined ? { config: opts.config as string } : {}),
        ...(opts.select ? { symbols: opts.select as string[] } : {}),
        build: (config) => runBuild({ config, queue, ...(opts.tree ? { tree: opts.tree as string } : {}), ...(opts.allowOtherBase ? { allowOtherBase: true } : {}) }),
        tool: `tiny ${TOOL_VERSION}`,
        log: (l) => err(`tiny: ${l}`),
      });
      const { input, failed } = prepared;
      if (failed.length && !opts.force) {
        const lines = failed.flatMap((c) => [`  ${c.name}:`, ...c.details.map((d) => `    ${d}`)]);
        const noRecords = failed.find((c) => c.name === 'size report' && !input.report);
        const hint = noRecords
          ? `build the records first: tiny build --config ${input.selection.config ?? 'NAME'} --queue ${queue}${opts.tree ? ` --tree ${opts.tree as string}` : ''}${input.selection.config ? '' : ', then release with --config NAME'} (or release without a size report: --force)`
          : 'fix them, or release anyway with --force (recorded in release.json and the README)';
        throw new TinyError(`release ${version} refused:\n${lines.join('\n')}`, 1, [], hint);
      }
      for (const c of failed) err(`tiny: --force: releasing although the ${c.name} failed: ${c.details.join('; ')}`);
      const files = await assembleRelease({ ...input, forced: Boolean(opts.force) });
      const { signed } = await writeRelease(out, files, signKey ? { signKey } : {});
      err(
        `tiny: released ${input.queueName} ${version}: ${input.patches.length} patches on ${input.base.version}, dated ${utcDate(input.date.seconds)} (${input.date.from})` +
          (signed ? `, SHA256SUMS signed with ${signKey}` : ''),
      );
      writeOut(listing(files) + (signed ? `${SIGNATURE_FILE}  (gpg signature of SHA256SUMS)\n` : '') + out);
      setExit(cmd, EXIT.ok);
    });

  release
    .command('verify')
    .description('regenerate a release from its inputs and compare every file byte for byte')
    .argument('<dir>', 'the release directory (OUT/VERSION)')
    // No defaults here: `tiny release` has the same options (commander lets the parent see
    // them after the subcommand too), and its defaults must not hide what was given.
    .option('--queue <dir>', `the queue directory the release was made from (default: $TINY_QUEUE, else the nearest queue/queue.yaml here or above)`)
    .option('--tree <dir>', "the base kernel tree (default: the queue's base)")
    .option(ALLOW_OTHER_BASE, ALLOW_OTHER_BASE_HELP)
    .option('--config <name>', 'the configuration (default: the one release.json names)')
    .addHelpText(
      'after',
      `
Reads DIR/release.json for the version, the selection and the source date, regenerates the
release into a temporary directory from the queue, the base tree and the records in the cache
(it never builds), and compares every file. For a file that differs it names the first
differing byte and line; for a compressed one, whether only the compressor's output differs;
in the broken-out tarball, which entries. SHA256SUMS is checked against the files, and
SHA256SUMS.asc with gpg.

Exit status: 0 every file is identical, 1 something differs, 2 bad input.`,
    )
    .action(async (dirArg: string, _opts: Record<string, unknown>, cmd: Command) => {
      const opts = cmd.optsWithGlobals() as Record<string, unknown>;
      const dir = resolve(dirArg);
      const m = await readManifest(dir);
      // Another queue's release (without --queue, the queue is the one found from here): say
      // which queue it needs, before regenerating anything from the wrong one.
      const withQueue = `tiny release verify ${dirArg} --queue DIR, DIR holding the ${m.queue} queue's queue.yaml`;
      const explicit = cmd.getOptionValueSourceWithGlobals('queue') === 'cli';
      const queue = await Promise.resolve()
        .then(() => queueDir(opts))
        .then(async (d) => ({ dir: d, q: await loadQueue(d) }))
        .catch((e: unknown) => {
          if (explicit || !(e instanceof TinyError)) throw e;
          throw new TinyError(`${dirArg} is a release of the queue ${m.queue}; ${e.message}`, 2, [], withQueue);
        });
      const q = queue.q;
      if (q.name !== m.queue) {
        throw new TinyError(`${dirArg} is a release of the queue ${m.queue}, but ${queue.dir} holds the queue ${q.name}`, 2, [], `verify it against the queue it was made from: ${withQueue}`);
      }
      const config = (opts.config as string | undefined) ?? m.selection.config;
      const prepared = await prepareRelease({
        version: m.version,
        queueDir: queue.dir,
        cacheDir: cacheDir(),
        configRoot: configRoot(),
        ...(opts.tree ? { tree: opts.tree as string } : {}),
        ...(opts.allowOtherBase ? { allowOtherBase: true } : {}),
        ...(config !== undefined ? { config } : { symbols: m.selection.symbols }),
        date: m.sourceDateEpoch,
        tool: m.tool,
        log: (l) => err(`tiny: ${l}`),
      });
      const { input } = prepared;
      err(
        `tiny: regenerating ${m.queue} ${m.version} from ${queue.dir}: ${input.patches.length} patches on ${input.base.version} (tree ${input.base.tree.slice(0, 12)})` +
          `${config ? `, records of ${config}` : ''}, source date ${m.sourceDateEpoch.seconds} (${m.sourceDateEpoch.from})`,
      );
      if (m.tool !== `tiny ${TOOL_VERSION}`) err(`tiny: note: the release was made by ${m.tool}, this is tiny ${TOOL_VERSION}`);
      for (const c of prepared.failed) err(`tiny: note: the ${c.name} fails now: ${c.details.join('; ')}`);
      const files = await assembleRelease({ ...input, forced: m.forced !== false });
      const results = await compareRelease(dir, files);
      const width = Math.max(4, ...results.map((r) => r.file.length));
      const rows = results.map((r) => `${r.file.padEnd(width)}  ${(r.release ?? '-').slice(0, 12).padEnd(12)}  ${r.status}${r.detail ? `: ${r.detail}` : ''}`);
      writeOut([`${'file'.padEnd(width)}  ${'sha256'.padEnd(12)}  regenerated`, ...rows].join('\n'));
      const sums = await checkSums(dir);
      writeOut(sums.ok ? `SHA256SUMS: the ${sums.listed} files it lists match` : `SHA256SUMS: ${sums.problems.join('; ')}`);
      let sigOk = true;
      if (await exists(join(dir, SIGNATURE_FILE))) {
        const sig = await verifySignature(dir);
        sigOk = sig.ok;
        writeOut(`${SIGNATURE_FILE}: ${sig.message}`);
      } else writeOut(`${SIGNATURE_FILE}: none (the release is not signed)`);
      const bad = results.filter((r) => r.status !== 'same');
      if (bad.length || !sums.ok || !sigOk) {
        writeOut(
          `NOT verified: ${bad.length} of ${results.length} files differ from what tiny regenerates${!sums.ok ? '; SHA256SUMS does not match' : ''}${!sigOk ? '; the signature does not verify' : ''}`,
        );
        setExit(cmd, EXIT.checkFailed);
      } else writeOut(`verified: all ${results.length} files are byte-for-byte what tiny regenerates`);
    });

  release
    .command('changelog')
    .description('what changed between two releases: patches added, removed and changed, with size deltas')
    .argument('<old>', 'the earlier release directory')
    .argument('<new>', 'the later release directory')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'md', 'json']).default('text'))
    .option('--json', 'same as --format json')
    .addHelpText(
      'after',
      `
Compares the releases' release.json (each patch's sha256 and content hash) and size reports.
A patch is changed when its change differs, refreshed when only its header, diffstat, index
lines or line numbers do. Sizes per patch, in dec bytes of vmlinux: what turning its option off
saves (queue - flip) and what it costs with the option at default (queue - without), in both
releases, with the delta; and the kernel's size at the queue point and with all options off.`,
    )
    .action(async (oldArg: string, newArg: string, opts: Record<string, unknown>) => {
      const load = async (d: string): Promise<ReleaseData> => {
        const manifest = await readManifest(resolve(d));
        const sizes = await readSizes(resolve(d), manifest.version);
        return { manifest, ...(sizes ? { sizes } : {}) };
      };
      const c = buildChangelog(await load(oldArg), await load(newArg));
      const format = opts.json ? 'json' : (opts.format as 'text' | 'md' | 'json');
      writeOut(format === 'json' ? JSON.stringify(changelogJson(c), null, 2) : renderChangelog(c, format));
    });
}
