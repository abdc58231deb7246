// What a kernel source resolves to: something on this machine the tree store can import.

/** A source ready to import: a directory, a local tarball (hash known) or a git repository + ref. */
export type ResolvedSource = { kind: 'dir'; path: string } | { kind: 'tarball'; path: string; sha256: string } | { kind: 'git'; repo: string; ref: string };

export interface ResolveOptions {
  /** tiny's cache directory (downloads go to <cacheDir>/downloads). */
  cacheDir: string;
  /** Replaces the global fetch (tests, proxies). */
  fetch?: typeof fetch;
  /** Where Debian's linux-source-X.Y tarballs live; default /usr/src. */
  usrSrc?: string;
}

/** Compression of a tarball, from its first bytes (or its name when it is too short to tell). */
export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';
