// release.json: what a release is made of and how it was judged, as plain data. It is one of
// the release's files (listed in SHA256SUMS), so it holds nothing that varies between two runs
// on the same inputs: no paths of this machine, no "now".

import type { SourceDate } from './epoch.js';

export const RELEASE_SCHEMA = 1;
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
  /** 'queue check <version>' for each of the queue's other bases (their series files). */
  name: 'queue check' | 'budgets' | 'size report' | `queue check ${string}`;
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
