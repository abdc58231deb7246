// queue.yaml as written (the shape schema/queue.schema.json describes), before paths are
// resolved and patches read. The loader turns it into a Queue; the writer renders it.

export type SourceDoc = { path: string; sha256?: string } | { url: string; sha256?: string } | { git: string; ref: string } | { debian: string };

export interface BaseDoc {
  version: string;
  tree?: string;
  date?: string;
  sources: SourceDoc[];
}

export interface PatchDoc {
  name: string;
  file: string;
  summary?: string;
  author?: string;
  option?: string;
  guards?: string[];
  depends?: string[];
  bases?: string[];
  strip?: number;
  reverse?: boolean;
}

export interface QueueDoc {
  name: string;
  base: BaseDoc;
  bases?: BaseDoc[];
  series: PatchDoc[];
}

/** Suffixes that make a `path:` source a tarball rather than a directory. */
export const TARBALL_SUFFIXES = ['.tar', '.tar.gz', '.tgz', '.tar.bz2', '.tar.xz'] as const;

export function isTarballPath(path: string): boolean {
  return TARBALL_SUFFIXES.some((s) => path.endsWith(s));
}
