// Kernel source providers: turn a SourceSpec from queue.yaml (or --tree) into something local.

import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { SourceSpec } from '../queue/types.js';
import { TinyError } from '../util/diagnostics.js';
import { exists, sha256File, writeFileAtomic } from '../util/fs.js';
import { isTarballName } from './compression.js';
import { downloadVerified } from './download.js';
import type { ResolveOptions, ResolvedSource } from './types.js';

/** A short human description of a source, for messages. */
export function describeSource(s: SourceSpec | ResolvedSource): string {
  switch (s.kind) {
    case 'dir':
    case 'tarball':
      return s.path;
    case 'url':
      return s.url;
    case 'git':
      return `${s.repo}@${s.ref}`;
    case 'debian':
      return `Debian package ${s.package}`;
  }
}

/** `--tree ARG`: a tarball when the name says so, else a directory. Paths become absolute. */
export function sourceFromCli(treeArg: string): SourceSpec {
  const path = resolve(treeArg);
  return isTarballName(treeArg) ? { kind: 'tarball', path } : { kind: 'dir', path };
}

export async function resolveSource(spec: SourceSpec, opts: ResolveOptions): Promise<ResolvedSource> {
  switch (spec.kind) {
    case 'dir': {
      const path = resolve(spec.path);
      const st = await stat(path).catch(() => undefined);
      if (!st) throw new TinyError(`kernel tree ${path} does not exist`, 2, [], 'give an existing kernel source directory');
      if (!st.isDirectory()) {
        throw new TinyError(`kernel tree ${path} is not a directory`, 2, [], 'a tarball must end in .tar, .tar.gz, .tgz, .tar.bz2 or .tar.xz');
      }
      return { kind: 'dir', path };
    }
    case 'tarball':
      return localTarball(resolve(spec.path), spec.sha256, opts.cacheDir);
    case 'url': {
      if (spec.sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(spec.sha256)) {
        throw new TinyError(`source ${spec.url}: sha256 must be 64 hex digits, got "${spec.sha256}"`, 2);
      }
      // Without a sha256 the queue's base.tree verifies the content (queue/load.ts requires one of them).
      const { path, sha256 } = await downloadVerified(spec.url, spec.sha256, opts);
      return { kind: 'tarball', path, sha256 };
    }
    case 'git': {
      if (!spec.ref) throw new TinyError(`git source ${spec.repo}: a ref is required`, 2);
      // A local repository path becomes absolute; URLs (scp-like or with a scheme) stay as they are.
      const looksRemote = /^[a-z][a-z0-9+.-]*:\/\//i.test(spec.repo) || /^[^/]+@[^/:]+:/.test(spec.repo);
      const repo = looksRemote || isAbsolute(spec.repo) ? spec.repo : resolve(spec.repo);
      if (!looksRemote && !(await exists(repo))) {
        throw new TinyError(`git repository ${repo} does not exist`, 2, [], 'give a path to a git repository or a URL');
      }
      return { kind: 'git', repo, ref: spec.ref };
    }
    case 'debian':
      return debianSource(spec.package, opts.usrSrc ?? '/usr/src', opts.cacheDir);
  }
}

/**
 * sha256 of a local file, remembered in <cache>/hashes by (path, size, mtime, inode, ctime) as
 * git trusts its index: hashing a 140 MB tarball again on every run costs ~0.6 s.
 */
export async function cachedSha256(path: string, cacheDir: string): Promise<string> {
  const st = await stat(path);
  const stamp = `${st.size}:${st.mtimeMs}:${st.ino}:${st.ctimeMs}`;
  const rec = join(cacheDir, 'hashes', `${createHash('sha256').update(path).digest('hex').slice(0, 32)}.json`);
  try {
    const known = JSON.parse(await readFile(rec, 'utf8')) as { path: string; stamp: string; sha256: string };
    if (known.path === path && known.stamp === stamp && /^[0-9a-f]{64}$/.test(known.sha256)) return known.sha256;
  } catch {
    /* not known yet */
  }
  const sha256 = await sha256File(path);
  await writeFileAtomic(rec, JSON.stringify({ path, stamp, sha256 }) + '\n').catch(() => {});
  return sha256;
}

async function localTarball(path: string, want: string | undefined, cacheDir: string): Promise<ResolvedSource> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new TinyError(`tarball ${path} does not exist`, 2);
  if (!st.isFile()) throw new TinyError(`tarball ${path} is not a file`, 2);
  const sha256 = await cachedSha256(path, cacheDir);
  if (want && want.toLowerCase() !== sha256) {
    throw new TinyError(
      `sha256 mismatch for ${path}: expected ${want.toLowerCase()}, file has ${sha256}`,
      2,
      [],
      'the file is not the one the queue names: replace it, or fix the sha256 in queue.yaml',
    );
  }
  return { kind: 'tarball', path, sha256 };
}

/** Debian's linux-source-X.Y ships /usr/src/linux-source-X.Y.tar.xz (older releases: .tar.bz2). */
async function debianSource(pkg: string, usrSrc: string, cacheDir: string): Promise<ResolvedSource> {
  if (!/^linux-source-\d+\.\d+[\w.+-]*$/.test(pkg)) {
    throw new TinyError(`"${pkg}" is not a Debian kernel source package`, 2, [], 'expected a name like linux-source-6.1');
  }
  for (const ext of ['.tar.xz', '.tar.bz2', '.tar.gz']) {
    const path = join(usrSrc, pkg + ext);
    if (await exists(path)) return localTarball(path, undefined, cacheDir);
  }
  throw new TinyError(`Debian package ${pkg} is not installed (no ${join(usrSrc, pkg)}.tar.xz)`, 2, [], `apt-get install ${pkg}`);
}
