// One walk over a tar stream's members, shared by the import (tarball.ts) and the in-memory hash
// of a cold check (hash.ts): the same member names are kept or refused in both, so a hashed tree
// is exactly the tree an import gives, and a pinned base.tree verifies either way.

import { createReadStream } from 'node:fs';
import { Parser, type ReadEntry } from 'tar';
import { decompressCommand, detectCompression } from '../source/compression.js';
import { exitedCleanly, start, type Child } from '../util/exec.js';

/** Raised by the streaming readers of a tarball when only a real extraction can tell what it holds. */
export class UnusualTarball extends Error {}

/** A decoded member name as a byte string (the bytes it was decoded from: tar names are UTF-8 here). */
export const asBytes = (p: string) => Buffer.from(p, 'utf8').toString('latin1');

/** A tarball's tar stream: decompressed by the matching program when it is compressed. */
export async function openTarStream(path: string): Promise<{ source: NodeJS.ReadableStream; finished: Promise<void>; kill: () => void }> {
  const cmd = decompressCommand(await detectCompression(path), path);
  if (!cmd) return { source: createReadStream(path), finished: Promise.resolve(), kill: () => {} };
  let stderr = '';
  const child: Child = start(cmd[0], cmd[1], { onStderr: (b) => (stderr += b.toString()) });
  return { source: child.stdout!, finished: exitedCleanly(child, `${cmd[0]} -d ${path}`, () => stderr), kill: () => child.kill('SIGKILL') };
}

/** Normalise a member name as tar -x would place it; undefined = not extracted (GNU tar refuses '..' too). */
export function memberPath(name: string): string | undefined {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (!parts.length || parts.includes('..')) return undefined;
  return parts.join('/');
}

export interface MemberWalk {
  /** Where the (decompressed) tar stream is written. */
  parser: Parser;
  /** Settles when the stream ends (rejects on a tar error). */
  parsed: Promise<void>;
  /** The first thing only a real extraction can settle (odd names, unknown member types, sparse files), if any. */
  unusual(): string | undefined;
  /** Note such a thing; later members are skipped. */
  markUnusual(why: string): void;
  /**
   * The top-level directory to strip ("linux-2.6.9/"), as tar -x users expect: '' unless every
   * member is under one directory. Read once the stream is parsed.
   */
  strip(): string;
}

/**
 * Parse a tar stream, handing `onMember` each file, symbolic link and hard link tar -x would
 * extract, by its normalised (decoded) path. Directories are implied by their contents; devices
 * and fifos are skipped, as git add skips them; any other member type, and every member after
 * anything unusual, is drained unread.
 */
export function walkTarMembers(onMember: (path: string, e: ReadEntry) => void): MemberWalk {
  let unusual: string | undefined;
  const tops = new Set<string>();
  let topLevelNonDir = false;
  const parser = new Parser({ maxMetaEntrySize: 16 * 1024 * 1024 });
  parser.on('warn', (code: string, message: string | Error) => {
    unusual ??= `${code}: ${String(message)}`;
  });
  // Members the parser drops without a word: GNU sparse files (type S), and extended headers
  // larger than maxMetaEntrySize (the name or link they carry would be lost).
  parser.on('ignoredEntry', (e: ReadEntry) => {
    unusual ??= `member ${e.path} of type ${e.type}`;
  });
  // A sparse file in a pax archive (tar -S --format=posix) reads as a plain file holding its
  // data condensed (and, from sparse format 0.1 on, under a made-up GNUSparseFile.N/ name): the
  // GNU.sparse.* keys that say so are only in the raw extended header.
  parser.on('meta', (meta: string) => {
    if (/(?:^|\n)\d+ GNU\.sparse\./.test(meta)) unusual ??= 'a sparse file (GNU.sparse.* in a pax header)';
  });
  const parsed = new Promise<void>((resolve, reject) => {
    parser.on('error', reject);
    parser.on('abort', reject);
    parser.on('end', () => resolve());
    parser.on('entry', (e: ReadEntry) => {
      const p = memberPath(e.path);
      if (p === undefined || unusual) {
        e.resume();
        return;
      }
      if (p.includes('\uFFFD') || p.split('/').some((c) => c.toLowerCase() === '.git')) {
        unusual = `member name ${JSON.stringify(e.path)} (not UTF-8, or a .git path)`;
        e.resume();
        return;
      }
      const slash = p.indexOf('/');
      tops.add(slash < 0 ? p : p.slice(0, slash));
      if (/^(File|OldFile|ContiguousFile|SymbolicLink|Link)$/.test(e.type)) {
        if (slash < 0) topLevelNonDir = true;
        onMember(p, e);
        return;
      }
      if (e.type !== 'Directory' && !/Device|FIFO/.test(e.type)) unusual ??= `member ${e.path} of type ${e.type}`;
      e.resume();
    });
  });
  return {
    parser,
    parsed,
    unusual: () => unusual,
    markUnusual: (why) => {
      unusual ??= why;
    },
    strip: () => (tops.size === 1 && !topLevelNonDir ? [...tops][0]! + '/' : ''),
  };
}
