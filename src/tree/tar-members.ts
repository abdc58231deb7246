// One walk over a tar stream's members, shared by the import (tarball.ts) and the in-memory hash
// of a cold check (hash.ts): the same member names are kept or refused in both, so a hashed tree
// is exactly the tree an import gives, and a pinned base.tree verifies either way.

import { Parser, type ReadEntry } from 'tar';

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
  /** The first thing only a real extraction can settle (odd names, unknown member types), if any. */
  unusual(): string | undefined;
  /** Note such a thing; later members are skipped. */
  markUnusual(why: string): void;
}

/**
 * Parse a tar stream, handing `onMember` each member tar -x would extract, by its normalised
 * (decoded) path. Members after anything unusual are drained unread.
 */
export function walkTarMembers(onMember: (path: string, e: ReadEntry) => void): MemberWalk {
  let unusual: string | undefined;
  const parser = new Parser({ maxMetaEntrySize: 16 * 1024 * 1024 });
  parser.on('warn', (code: string, message: string | Error) => {
    unusual ??= `${code}: ${String(message)}`;
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
      onMember(p, e);
    });
  });
  return {
    parser,
    parsed,
    unusual: () => unusual,
    markUnusual: (why) => {
      unusual ??= why;
    },
  };
}
