// Plain data describing a parsed patch: what the queue, the applier and the mergeability
// checks exchange. Paths are already stripped (-pN applied). Paths and hunk lines are byte
// strings (src/util/bytes.ts), as file contents are; the header's fields are decoded text.

export interface PatchHeader {
  /** "Name <email>" from a format-patch From: line (or a plain From:/Author: header). */
  author?: string;
  date?: string;
  /** Subject with any "[PATCH n/m]" prefix removed. */
  subject?: string;
  /** Commit message body (between the subject and the "---" separator or the first diff). */
  body: string;
  signedOffBy: string[];
  /** True when the file is a git format-patch mail ("From <sha> Mon Sep 17 00:00:00 2001"). */
  isMail: boolean;
}

export interface HunkLine {
  kind: ' ' | '-' | '+';
  /** The line's bytes (a byte string), without the leading kind character and the newline. */
  text: string;
  /** A "\ No newline at end of file" marker followed this line. */
  noNewline?: boolean;
}

export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Text after the second @@ (usually the enclosing function). */
  section: string;
  lines: HunkLine[];
  /** 1-based line of the @@ header in the patch file, for error messages. */
  patchLine: number;
}

export interface FilePatch {
  /** Path before the change, after stripping; null for a created file. */
  oldPath: string | null;
  /** Path after the change, after stripping; null for a deleted file. */
  newPath: string | null;
  oldMode?: string;
  newMode?: string;
  /** The mode on a git "index <a>..<b> <mode>" line: the file's mode, unchanged by the patch. */
  indexMode?: string;
  isNew: boolean;
  isDelete: boolean;
  isRename: boolean;
  isCopy: boolean;
  /** A "GIT binary patch" or "Binary files differ" (no hunks). */
  binary: boolean;
  /** A "GIT binary patch": its data, and the object ids of the index line (src/patch/binary.ts). */
  binaryPatch?: BinaryPatch;
  hunks: Hunk[];
  /** 1-based line where this file's diff starts in the patch file. */
  patchLine: number;
}

/** One chunk of a git binary patch: the new content, or a delta against the old one. */
export interface BinaryChunk {
  kind: 'literal' | 'delta';
  /** The size of the literal or delta, inflated. */
  size: number;
  /** Its base85 lines (byte strings, as read). */
  data: string[];
  /** 1-based line of the "literal N" / "delta N" line in the patch file. */
  patchLine: number;
}

export interface BinaryPatch {
  /** The ids on the index line, as written (applied only when both are full, as git requires). */
  oldOid: string;
  newOid: string;
  forward: BinaryChunk;
  /** The chunk that undoes it (git writes one; without it the patch cannot be reversed). */
  reverse?: BinaryChunk;
}

export interface ParsedPatch {
  header: PatchHeader;
  files: FilePatch[];
}

/** How one hunk applied. */
export interface HunkResult {
  file: string;
  hunk: number; // 1-based, within its file
  /** Where the patch expected it (old line number) and where it landed. */
  expectedLine: number;
  appliedLine?: number;
  offset: number;
  fuzz: number;
  applied: boolean;
  patchLine: number;
  reason?: string;
  /** Not tried because its whole file was refused: why (file not found, already exists, skipped as reversed, ...). */
  fileError?: string;
}

export type ApplyOutcome = { kind: 'clean' } | { kind: 'offset' /** the largest offset, signed */; lines: number } | { kind: 'fuzz'; fuzz: number } | { kind: 'fails'; failed: HunkResult[] };
