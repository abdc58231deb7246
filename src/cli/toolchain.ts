// `tiny toolchain ...`: list, show, build. Rendering only; the work is in src/toolchain/.

import { Option, type Command } from 'commander';
import { cacheDir } from '../util/cache.js';
import { TinyError } from '../util/diagnostics.js';
import { defaultToolchainsDir, loadToolchain, loadToolchains, makeVariablesFor } from '../toolchain/definitions.js';
import { ensureImage, findImage, formatMs, imageTag, readImageRecord, type BaseImage, type ImageRef, type ImageTimings } from '../toolchain/image.js';
import { RUNTIME_NAMES, createRuntime, detectRuntime, type Runtime, type RuntimeName } from '../toolchain/runtime.js';
import type { Toolchain } from '../toolchain/types.js';
import { SETUP_CONTAINERS, tinyCommand } from '../util/invocation.js';

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

/** Columns padded to their widest cell. */
export function renderColumns(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function runtimeOption(): Option {
  return new Option('--runtime <runtime>', 'container runtime (default: $TINY_RUNTIME, else podman, docker, host)').choices([...RUNTIME_NAMES]);
}

function dirOption(): Option {
  return new Option('--toolchains <dir>', 'directory of <name>/toolchain.yaml definitions (default: $TINY_TOOLCHAINS or the shipped toolchains/)');
}

/** A runtime for looking images up: never fails (host when nothing works). */
async function lookupRuntime(preferred: RuntimeName | undefined): Promise<Runtime> {
  try {
    return await detectRuntime(preferred);
  } catch {
    return createRuntime('host');
  }
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

interface Row {
  toolchain: Toolchain;
  tag: string;
  image?: { id: string; digest?: string };
}

/** The version of `tiny toolchain list|show|build --json` (schema/output/toolchain-*.schema.json). */
export const TOOLCHAIN_OUTPUT_VERSION = 1;

/** One toolchain as list and show print it: the definition as toolchain.yaml spells it, its tag and image. */
function rowJson(r: Row, runtime: Runtime): Record<string, unknown> {
  const t = r.toolchain;
  return {
    name: t.name,
    description: t.description,
    compiler: t.compiler,
    arches: t.arches,
    cross_compile: t.crossCompile,
    make_variables: t.makeVariables,
    packages: t.packages,
    base_image: t.baseImage,
    platform: t.platform ?? null,
    bootstrap: t.bootstrap ? { suite: t.bootstrap.suite, mirror: t.bootstrap.mirror ?? null, include: t.bootstrap.include } : null,
    offline_buildable: t.offlineBuildable,
    reason: t.reason ?? null,
    needs_compat: t.needsCompat,
    content_hash: t.contentHash,
    tag: r.tag,
    runtime: runtime.name,
    image: r.image ? { id: r.image.id, digest: r.image.digest ?? null } : null,
  };
}

function baseJson(b: BaseImage | undefined): Record<string, unknown> | null {
  return b ? { source: b.source, ref: b.ref, id: b.id, tarball: b.tarball ?? null, tarball_sha256: b.tarballSha256 ?? null } : null;
}

function timingsJson(t: ImageTimings): Record<string, unknown> {
  return { bootstrap_ms: t.bootstrapMs ?? null, import_ms: t.importMs ?? null, pull_ms: t.pullMs ?? null, build_ms: t.buildMs ?? null, total_ms: t.totalMs };
}

/** `tiny toolchain build --json`: the image record. */
export function imageRefJson(ref: ImageRef): Record<string, unknown> {
  return {
    schema_version: TOOLCHAIN_OUTPUT_VERSION,
    toolchain: ref.toolchain,
    runtime: ref.runtime,
    tag: ref.tag,
    id: ref.id,
    digest: ref.digest ?? null,
    content_hash: ref.contentHash,
    cached: ref.cached,
    base: baseJson(ref.base),
    timings: timingsJson(ref.timings),
    log_file: ref.logFile ?? null,
    built_at: ref.builtAt ?? null,
  };
}

export function registerToolchainCommands(program: Command): void {
  const tc = program.command('toolchain').description('toolchain images: list, show, build (toolchains/<name>/toolchain.yaml + Containerfile)');

  tc.command('list')
    .description('list the toolchains and whether their image is built')
    .option('--json', 'print JSON')
    .addOption(runtimeOption())
    .addOption(dirOption())
    .action(async (opts: { json?: boolean; runtime?: RuntimeName; toolchains?: string }) => {
      const all = await loadToolchains(opts.toolchains ?? defaultToolchainsDir());
      const runtime = await lookupRuntime(opts.runtime);
      const rows: Row[] = [];
      for (const t of all) {
        const image = await findImage(t, runtime);
        rows.push({ toolchain: t, tag: imageTag(t), ...(image ? { image } : {}) });
      }
      if (opts.json) {
        out(JSON.stringify({ schema_version: TOOLCHAIN_OUTPUT_VERSION, runtime: runtime.name, toolchains: rows.map((r) => rowJson(r, runtime)) }, null, 2));
        return;
      }
      out(
        renderColumns(
          ['NAME', 'COMPILER', 'ARCHES', 'BASE IMAGE', 'OFFLINE', 'IMAGE'],
          rows.map((r) => [
            r.toolchain.name,
            r.toolchain.compiler,
            r.toolchain.arches.join(','),
            r.toolchain.baseImage,
            r.toolchain.offlineBuildable ? 'yes' : 'no',
            r.image ? `sha256:${shortId(r.image.id)}` : runtime.supportsImages ? 'not built' : 'not built (no container runtime)',
          ]),
        ),
      );
    });

  tc.command('show')
    .description('show one toolchain: definition, make variables per ARCH, image')
    .argument('<name>', 'toolchain name')
    .option('--json', 'print JSON')
    .addOption(runtimeOption())
    .addOption(dirOption())
    .action(async (name: string, opts: { json?: boolean; runtime?: RuntimeName; toolchains?: string }) => {
      const t = await loadToolchain(opts.toolchains ?? defaultToolchainsDir(), name);
      const runtime = await lookupRuntime(opts.runtime);
      const image = await findImage(t, runtime);
      const row: Row = { toolchain: t, tag: imageTag(t), ...(image ? { image } : {}) };
      const record = readImageRecord(cacheDir(), t.name);
      const sameRecord = record && image && record.id === image.id ? record : undefined;
      if (opts.json) {
        const build = sameRecord ? { base: baseJson(sameRecord.base), timings: timingsJson(sameRecord.timings), built_at: sameRecord.builtAt ?? null, log: sameRecord.logFile ?? null } : null;
        out(JSON.stringify({ schema_version: TOOLCHAIN_OUTPUT_VERSION, ...rowJson(row, runtime), build }, null, 2));
        return;
      }
      const lines = [
        `${t.name}: ${t.description}`,
        `  compiler        ${t.compiler}`,
        `  definition      ${t.file}`,
        `  Containerfile   ${t.containerfile}`,
        `  base image      ${t.baseImage}${t.platform ? ` (${t.platform})` : ''}`,
        `  offline build   ${t.offlineBuildable ? `yes: mmdebstrap ${t.bootstrap?.suite ?? ''}${t.bootstrap?.include.length ? ` + ${t.bootstrap.include.join(',')}` : ''}` : `no: ${t.reason ?? ''}`}`,
        `  needs compat    ${t.needsCompat.length ? t.needsCompat.join(', ') : '-'}`,
        `  packages        ${t.packages.join(' ')}`,
        `  make variables`,
        ...t.arches.map(
          (a) =>
            `    ${a.padEnd(12)}  ${Object.entries(makeVariablesFor(t, a))
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`,
        ),
        `  image tag       ${row.tag}`,
        `  image           ${image ? `${image.id}${image.digest ? ` (digest ${image.digest})` : ''} [${runtime.name}]` : `not built (${tinyCommand()} toolchain build ${t.name})`}`,
      ];
      if (sameRecord) {
        const tm = sameRecord.timings;
        const parts = [
          tm.bootstrapMs !== undefined ? `bootstrap ${formatMs(tm.bootstrapMs)}` : '',
          tm.importMs !== undefined ? `import ${formatMs(tm.importMs)}` : '',
          tm.buildMs !== undefined ? `build ${formatMs(tm.buildMs)}` : '',
        ].filter(Boolean);
        lines.push(`  built           ${sameRecord.builtAt ?? '?'} in ${formatMs(tm.totalMs)}${parts.length ? ` (${parts.join(', ')})` : ''}`);
        if (sameRecord.base) lines.push(`  base            ${sameRecord.base.source}: ${sameRecord.base.ref} ${sameRecord.base.id}`);
      }
      out(lines.join('\n'));
    });

  tc.command('build')
    .description('build the toolchain image if it is not built yet; prints its image ID')
    .argument('<name>', 'toolchain name')
    .option('--json', 'print the image record as JSON')
    .option('--no-pull', 'do not try to pull the base image from a registry')
    .option('-q, --quiet', 'no progress output')
    .addOption(runtimeOption())
    .addOption(dirOption())
    .action(async (name: string, opts: { json?: boolean; pull: boolean; quiet?: boolean; runtime?: RuntimeName; toolchains?: string }) => {
      const t = await loadToolchain(opts.toolchains ?? defaultToolchainsDir(), name);
      const runtime = await detectRuntime(opts.runtime);
      if (!runtime.supportsImages) {
        throw new TinyError('no container runtime: podman does not work and docker has no engine', 1, [], SETUP_CONTAINERS);
      }
      const progress = (l: string): void => {
        if (!opts.quiet) process.stderr.write(`${l}\n`);
      };
      progress(`toolchain ${t.name}: image ${imageTag(t)} with ${runtime.name}`);
      const ref = await ensureImage(t, runtime, { onLog: progress, pull: opts.pull });
      if (ref.cached) progress(`already built: ${ref.tag}`);
      if (opts.json) out(JSON.stringify(imageRefJson(ref), null, 2));
      else out(ref.id);
    });
}
