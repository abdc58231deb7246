// release.json: what a release is made of and how it was judged, as plain data. It is one of
// the release's files (listed in SHA256SUMS), so it holds nothing that varies between two runs
// on the same inputs: no paths of this machine, no "now".

import type { SourceDate } from './epoch.js';

/** release.json's schema_version (schema/output/release-manifest.schema.json). Version 1 was camelCase with `schema: 1`. */
export const RELEASE_SCHEMA = 2;
export const MANIFEST_FILE = 'release.json';
export const SUMS_FILE = 'SHA256SUMS';
export const SIGNATURE_FILE = 'SHA256SUMS.asc';

export interface ManifestPatch {
  name: string;
  /** Where the patch is in the broken-out tarball, relative to its patches/ directory. */
  file: string;
  /** sha256 of the patch file's bytes. */
  sha256: string;
  /** sha256 of the change alone (src/release/content.ts): equal when only header noise differs. */
  content: string;
  summary?: string;
  option?: string;
  files: number;
  added: number;
  removed: number;
}

/** A check that must pass for a release, and its verdict. */
export interface ReleaseCheck {
  /**
   * 'queue check <version>' for each of the queue's other bases (their series files); 'quilt
   * and patch -p1': no released patch is a git binary patch, which neither applies.
   */
  name: 'queue check' | 'budgets' | 'size report' | 'quilt and patch -p1' | `queue check ${string}`;
  ok: boolean;
  /** One line per problem (or, when ok, one line saying what was checked). */
  details: string[];
}

export interface ReleaseManifest {
  schema: typeof RELEASE_SCHEMA;
  /** "tiny 0.1.0": the generator (another version may write other bytes). */
  tool: string;
  version: string;
  queue: string;
  base: { version: string; tree: string };
  /** git tree hash of the base with every patch applied (what `quilt push -a` gives). */
  resultTree: string;
  /** What chose the patches: a build configuration and/or guard symbols. */
  selection: { config?: string; symbols: string[] };
  sourceDateEpoch: SourceDate;
  patches: ManifestPatch[];
  checks: ReleaseCheck[];
  /** Released with --force over failed checks (their names), or false. */
  forced: false | { failed: string[] };
  /** The configuration whose records the size report was made from, or why there is none. */
  sizeReport: { config: string; toggles: number; records: string[] } | { missing: string };
}

/** The manifest as release.json holds it: snake_case keys, schema_version first. */
export function manifestDocument(m: ReleaseManifest): Record<string, unknown> {
  return {
    schema_version: RELEASE_SCHEMA,
    tool: m.tool,
    version: m.version,
    queue: m.queue,
    base: m.base,
    result_tree: m.resultTree,
    selection: m.selection,
    source_date_epoch: m.sourceDateEpoch,
    patches: m.patches,
    checks: m.checks,
    forced: m.forced,
    size_report: m.sizeReport,
  };
}

/**
 * A release.json read back: version 2 (snake_case), or version 1 (camelCase, `schema: 1`) of
 * releases made before, so a changelog can still compare against them. Throws when it is neither.
 */
export function readManifestDocument(o: unknown): ReleaseManifest {
  const d = (o ?? {}) as Record<string, unknown>;
  if (d.schema === 1) {
    const m = d as unknown as Omit<ReleaseManifest, 'schema'>;
    if (typeof m.version !== 'string' || !Array.isArray(m.patches)) throw new Error('not a release manifest');
    return { ...m, schema: RELEASE_SCHEMA };
  }
  if (d.schema_version !== RELEASE_SCHEMA) throw new Error(`not a release manifest tiny knows (schema_version ${JSON.stringify(d.schema_version ?? null)}, this tiny reads 1 and ${RELEASE_SCHEMA})`);
  if (typeof d.version !== 'string' || !Array.isArray(d.patches)) throw new Error('not a release manifest');
  return {
    schema: RELEASE_SCHEMA,
    tool: d.tool as string,
    version: d.version,
    queue: d.queue as string,
    base: d.base as ReleaseManifest['base'],
    resultTree: d.result_tree as string,
    selection: d.selection as ReleaseManifest['selection'],
    sourceDateEpoch: d.source_date_epoch as SourceDate,
    patches: d.patches as ManifestPatch[],
    checks: d.checks as ReleaseCheck[],
    forced: d.forced as ReleaseManifest['forced'],
    sizeReport: d.size_report as ReleaseManifest['sizeReport'],
  };
}

/** SHA256SUMS text: `<sha256>  <file>` per file, sorted by name (sha256sum -c reads it). */
export function renderSums(sums: ReadonlyMap<string, string>): string {
  return [...sums.keys()]
    .sort()
    .map((f) => `${sums.get(f)}  ${f}\n`)
    .join('');
}

export function parseSums(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (m) out.set(m[2]!, m[1]!);
  }
  return out;
}
