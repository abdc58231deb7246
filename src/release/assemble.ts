// The files of a release, from plain inputs: the combined patch (+ .xz, .bz2), the broken-out
// tarball (quilt series + patches + queue.yaml + README), the size report (md, json, html),
// release.json and SHA256SUMS. Everything here is a function of the inputs (compression runs
// the system's xz and bzip2 with fixed options, src/release/compress.ts).

import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { renderSizeHtml } from '../report/html.js';
import { reportDocument } from '../report/json.js';
import { renderSizeMarkdown } from '../report/render-size.js';
import type { SizeReport } from '../report/size-report.js';
import { sha256 } from '../util/fs.js';
import { compress } from './compress.js';
import type { SourceDate } from './epoch.js';
import { MANIFEST_FILE, manifestDocument, RELEASE_SCHEMA, renderSums, SUMS_FILE, type ManifestPatch, type ReleaseCheck, type ReleaseManifest } from './manifest.js';
import { createTar, type TarEntry } from '../util/tar.js';

export interface ReleasePatch extends ManifestPatch {
  bytes: Buffer;
}

export interface ReleaseInput {
  version: string;
  tool: string;
  queueName: string;
  /** The queue's queue.yaml text (it is narrowed to the released patches). */
  queueYaml: string;
  base: { version: string; tree: string };
  resultTree: string;
  selection: ReleaseManifest['selection'];
  /** In series order; `file` is relative to the broken-out patches/ directory. */
  patches: ReleasePatch[];
  /** The quilt series file listing `patches`. */
  series: string;
  /**
   * The queue's other bases: a series file each in patches/ (series-<version>), listing the
   * patches meant for that base (`patches` where shared, `extraPatches` for per-base variants).
   */
  otherBases?: Array<{ version: string; tree: string | null; seriesFile: string; series: string; patches: string[] }>;
  extraPatches?: Array<{ file: string; bytes: Buffer }>;
  /** Where each queue file (queue.yaml's `file:`) is in patches/, for the release's queue.yaml. */
  queueFiles?: Record<string, string>;
  /** `git diff` of the base and the top of the series. */
  combined: Buffer;
  date: SourceDate;
  report?: { report: SizeReport; toggles: number; records: string[] };
  /** Why there is no size report (with --force). */
  noReport?: string;
  checks: ReleaseCheck[];
  forced: boolean;
}

/** Release file names, relative to OUT/VERSION/. */
export function releaseFiles(version: string) {
  return {
    patch: `${version}.patch`,
    patchXz: `${version}.patch.xz`,
    patchBz2: `${version}.patch.bz2`,
    brokenOut: `${version}-broken-out.tar.xz`,
    brokenOutDir: `${version}-broken-out`,
    sizesMd: `${version}-sizes.md`,
    sizesJson: `${version}-sizes.json`,
    sizesHtml: `${version}-sizes.html`,
  };
}

/** YYYY-MM-DD HH:MM:SS UTC */
export function utcDate(seconds: number): string {
  return new Date(seconds * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/**
 * queue.yaml narrowed to the released patches, each `file:` pointing where the patch is in the
 * tarball. Edited through yaml's document model, so the maintainers' comments stay.
 */
export function releaseQueueYaml(text: string, patches: ReadonlyArray<{ name: string; file: string }>, queueFiles?: Record<string, string>): string {
  const doc = parseDocument(text);
  const series = doc.get('series', true);
  if (!isSeq(series)) throw new Error('queue.yaml has no series list');
  // By the entry's own file when known (per-base variants share a name), else by name.
  const byName = new Map(patches.map((p) => [p.name, p.file]));
  const target = (item: unknown): string | undefined => {
    if (!isMap(item)) return undefined;
    if (queueFiles) return queueFiles[String(item.get('file'))];
    return byName.get(String(item.get('name')));
  };
  series.items = series.items.filter((item) => target(item) !== undefined);
  for (const item of series.items) {
    if (!isMap(item)) continue;
    const file = target(item)!;
    const node = item.get('file', true);
    if (isScalar(node)) node.value = `patches/${file}`;
    else item.set('file', `patches/${file}`);
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

function pad(s: string, n: number): string {
  return s.length >= n ? `${s}  ` : s.padEnd(n + 2);
}

export function renderReadme(input: ReleaseInput, manifest: ReleaseManifest): string {
  const f = releaseFiles(input.version);
  const title = `${input.queueName} ${input.version}`;
  const sel = input.selection.config
    ? `the patches configuration ${input.selection.config} selects (guard symbols: ${input.selection.symbols.join(', ') || 'none'})`
    : `the patches the guard symbols ${input.selection.symbols.length ? input.selection.symbols.join(', ') : '(none)'} select`;
  const width = Math.max(...input.patches.map((p) => p.name.length), 5);
  const lines = [
    title,
    '='.repeat(title.length),
    '',
    `${input.patches.length} patch${input.patches.length === 1 ? '' : 'es'} of the ${input.queueName} queue against Linux ${input.base.version}`,
    `(git tree ${input.base.tree}), ${sel}.`,
    `Dated ${utcDate(input.date.seconds)} (${input.date.from}).`,
    '',
    'Apply them with quilt, from the top of an unmodified tree:',
    '',
    `    cd linux-${input.base.version}`,
    `    QUILT_PATCHES=../${f.brokenOutDir}/patches quilt push -a`,
    '',
    `or all at once: patch -p1 < ${f.patch}; or with tiny, which also checks and builds them:`,
    '',
    `    tiny queue check --queue ${f.brokenOutDir} --tree linux-${input.base.version}`,
    '',
    `The tree they give has git tree hash ${input.resultTree}.`,
    '',
    ...(input.otherBases?.length
      ? [
          "The same selection for the queue's other bases, a series file each in patches/:",
          '',
          ...input.otherBases.flatMap((b) => [
            `    cd linux-${b.version}   # ${b.patches.length} patches${b.tree ? `, on git tree ${b.tree}` : ''}`,
            `    QUILT_PATCHES=../${f.brokenOutDir}/patches QUILT_SERIES=${b.seriesFile} quilt push -a`,
          ]),
          '',
        ]
      : []),
    'The patches, in order:',
    '',
    ...input.patches.map((p) => `  ${pad(p.name, width)}${p.summary ?? ''}`.trimEnd()),
    '',
  ];
  if (manifest.forced) {
    lines.push('FORCED: this release was made with --force although these checks failed:', '');
    for (const c of input.checks.filter((x) => !x.ok)) {
      lines.push(`  ${c.name}:`);
      for (const d of c.details) lines.push(`    ${d}`);
    }
    lines.push('');
  }
  lines.push(`Made by ${input.tool}. Check a copy with: tiny release verify DIR (see release.json).`, '');
  return lines.join('\n');
}

/** Every file of the release (but the signature), name -> bytes. */
export async function assembleRelease(input: ReleaseInput): Promise<Map<string, Buffer>> {
  const f = releaseFiles(input.version);
  const failed = input.checks.filter((c) => !c.ok).map((c) => c.name);
  const manifest: ReleaseManifest = {
    schema: RELEASE_SCHEMA,
    tool: input.tool,
    version: input.version,
    queue: input.queueName,
    base: input.base,
    resultTree: input.resultTree,
    selection: input.selection,
    sourceDateEpoch: input.date,
    patches: input.patches.map(({ bytes: _bytes, ...p }) => p),
    checks: input.checks,
    forced: input.forced && failed.length ? { failed } : false,
    sizeReport: input.report ? { config: input.report.report.config, toggles: input.report.toggles, records: input.report.records } : { missing: input.noReport ?? 'no records' },
  };

  const files = new Map<string, Buffer>();
  const header = [
    `${input.queueName} ${input.version}: ${input.patches.length} patches against Linux ${input.base.version} (tree ${input.base.tree})`,
    ...input.patches.map((p) => `  ${p.name}`),
    '',
    '',
  ].join('\n');
  const patch = Buffer.concat([Buffer.from(header), input.combined]);
  files.set(f.patch, patch);
  files.set(f.patchXz, await compress(patch, 'xz'));
  files.set(f.patchBz2, await compress(patch, 'bz2'));

  const dir = f.brokenOutDir;
  const entries: TarEntry[] = [
    { path: `${dir}/README`, data: Buffer.from(renderReadme(input, manifest)) },
    { path: `${dir}/queue.yaml`, data: Buffer.from(releaseQueueYaml(input.queueYaml, input.patches, input.queueFiles)) },
    { path: `${dir}/patches/series`, data: Buffer.from(input.series) },
    ...(input.otherBases ?? []).map((b) => ({ path: `${dir}/patches/${b.seriesFile}`, data: Buffer.from(b.series) })),
    ...[...input.patches.map((p) => ({ path: `${dir}/patches/${p.file}`, data: p.bytes })), ...(input.extraPatches ?? []).map((p) => ({ path: `${dir}/patches/${p.file}`, data: p.bytes }))].sort(
      (a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
    ),
  ];
  files.set(f.brokenOut, await compress(createTar(entries, input.date.seconds), 'xz'));

  if (input.report) {
    files.set(f.sizesJson, Buffer.from(JSON.stringify(reportDocument(input.report.report), null, 2) + '\n'));
    files.set(f.sizesMd, Buffer.from(renderSizeMarkdown(input.report.report, { top: 10 })));
    files.set(f.sizesHtml, Buffer.from(renderSizeHtml(input.report.report, { top: 10 })));
  }
  files.set(MANIFEST_FILE, Buffer.from(JSON.stringify(manifestDocument(manifest), null, 2) + '\n'));
  const sums = new Map([...files].map(([name, data]) => [name, sha256(data)]));
  files.set(SUMS_FILE, Buffer.from(renderSums(sums)));
  return files;
}
