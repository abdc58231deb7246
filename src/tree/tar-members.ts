// One walk over a tar stream's members, shared by the import (tarball.ts) and the in-memory hash
// of a cold check (hash.ts): the same member names are kept or refused in both, so a hashed tree
// is exactly the tree an import gives, and a pinned base.tree verifies either way.

import { createReadStream } from 'node:fs';
import { decompressCommand, detectCompression } from '../source/compression.js';
import { exitedCleanly, start, type Child } from '../util/exec.js';
import { TarReader, TarTruncated, type TarMemberHeader, type TarMemberSink } from './tar-reader.js';

/** Raised by the streaming readers of a tarball when only a real extraction can tell what it holds. */
export class UnusualTarball extends Error {}

/** A decoded member name as a byte string (the bytes it was decoded from: tar names are UTF-8 here). */
export const asBytes = (p: string) => (ASCII.test(p) ? p : Buffer.from(p, 'utf8').toString('latin1'));
const ASCII = /^[\x00-\x7f]*$/;

/** A tarball's tar stream: decompressed by the matching program when it is compressed. */
async function openTarStream(path: string): Promise<{ source: NodeJS.ReadableStream; finished: Promise<void>; kill: () => void }> {
  const cmd = decompressCommand(await detectCompression(path), path);
  if (!cmd) return { source: createReadStream(path), finished: Promise.resolve(), kill: () => {} };
  let stderr = '';
  const child: Child = start(cmd[0], cmd[1], { onStderr: (b) => (stderr += b.toString()) });
  return { source: child.stdout!, finished: exitedCleanly(child, `${cmd[0]} -d ${path}`, () => stderr), kill: () => child.kill('SIGKILL') };
}

/** A path with a .git component (any case): git would refuse to add it. */
const GIT_DIR = /(^|\/)\.git(\/|$)/i;

/**
 * The entry a hard link member names, from the entries read so far (byte-string paths), or
 * undefined after marking the walk unusual: a link to a member not (yet) read.
 */
export function linkedEntry<T>(files: ReadonlyMap<string, T>, e: TarMemberHeader, walk: MemberWalk): T | undefined {
  const target = memberPath(e.linkpath);
  const hit = target === undefined ? undefined : files.get(asBytes(target));
  if (!hit) walk.markUnusual(`hard link ${e.path} -> ${e.linkpath} to an unknown member`);
  return hit;
}

/** Normalise a member name as tar -x would place it; undefined = not extracted (GNU tar refuses '..' too). */
export function memberPath(name: string): string | undefined {
  // Most names need nothing done but a directory's trailing slash: no empty, '.' or '..' part.
  const trimmed = name.endsWith('/') ? name.slice(0, -1) : name;
  if (!/(^|\/)\.{0,2}(\/|$)/.test(trimmed)) return trimmed;
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (!parts.length || parts.includes('..')) return undefined;
  return parts.join('/');
}

/**
 * The members read (full byte-string paths) under their paths after the walk's top-level
 * directory is stripped, as tar -x users expect; the top-level directory itself goes.
 */
export function strippedMembers<T>(files: ReadonlyMap<string, T>, walk: MemberWalk): Map<string, T> {
  const strip = asBytes(walk.strip());
  const stripped = new Map<string, T>();
  for (const [p, f] of files) {
    const rel = strip ? p.slice(strip.length) : p;
    if (rel) stripped.set(rel, f);
  }
  return stripped;
}

export interface MemberWalk {
  /** The first thing only a real extraction can settle (odd names, unknown member types, sparse files), if any. */
  unusual(): string | undefined;
  /** Note such a thing; later members are skipped. */
  markUnusual(why: string): void;
  /**
   * The top-level directory to strip ("linux-2.6.9/"), as tar -x users expect: '' unless every
   * member is under one directory. Read once the stream is read.
   */
  strip(): string;
}

/**
 * Read a tarball, handing `onMember` each file, symbolic link and hard link tar -x would
 * extract, by its normalised (decoded) path; it returns where a file's data goes. Directories
 * are implied by their contents; devices and fifos are skipped, as git add skips them. Reading
 * stops at the first thing only tar itself can read (`unusual()` says what). `backlog`, asked
 * after each chunk, is what to wait for before the next (a writer behind).
 */
export async function walkTarball(
  path: string,
  onMember: (path: string, header: TarMemberHeader, walk: MemberWalk) => TarMemberSink | undefined,
  backlog: () => Promise<void> | undefined = () => undefined,
): Promise<MemberWalk> {
  let unusual: string | undefined;
  const tops = new Set<string>();
  let topLevelNonDir = false;
  const walk: MemberWalk = {
    unusual: () => unusual,
    markUnusual: (why) => {
      unusual ??= why;
    },
    strip: () => (tops.size === 1 && !topLevelNonDir ? [...tops][0]! + '/' : ''),
  };
  const reader = new TarReader(
    (h) => {
      const p = memberPath(h.path);
      if (p === undefined || unusual) return undefined;
      if (p.includes('\uFFFD') || GIT_DIR.test(p)) {
        unusual = `member name ${JSON.stringify(h.path)} (not UTF-8, or a .git path)`;
        return undefined;
      }
      const slash = p.indexOf('/');
      tops.add(slash < 0 ? p : p.slice(0, slash));
      if (h.type === 'Directory' || /Device|FIFO/.test(h.type)) return undefined;
      if (slash < 0) topLevelNonDir = true;
      return onMember(p, h, walk);
    },
    (why) => walk.markUnusual(why),
  );
  const tar = await openTarStream(path);
  try {
    for await (const chunk of tar.source) {
      reader.write(chunk as Buffer);
      if (unusual) break;
      const wait = backlog();
      if (wait) await wait;
    }
    if (unusual) {
      tar.kill();
      await tar.finished.catch(() => {});
      return walk;
    }
    // The decompressor's own error first: it says why the stream stopped short.
    await tar.finished;
    reader.end();
    return walk;
  } catch (e) {
    tar.kill();
    await tar.finished.catch(() => {});
    if (e instanceof TarTruncated) throw new Error(`${path}: ${e.message}`);
    throw e;
  }
}
