// git's binary patches ("GIT binary patch", written by `git diff --binary`), applied in memory
// by git apply's rules (apply.c: apply_binary, apply_binary_fragment), so that `tiny queue check`
// and the series that builds commits give one answer for them:
//  - the index line must carry both full object ids;
//  - the file must be the preimage (its blob id is the old id; a creation needs no file);
//  - the forward chunk (the second one, in reverse) is a literal or a delta against the file,
//    base85 lines of zlib data;
//  - the result must hash to the new id (the null id: the file is deleted).
// Contents are byte strings (latin1 holds every byte). GNU patch (and so quilt) refuses these
// patches: "git binary diffs are not supported".

import { inflateSync } from 'node:zlib';
import { objectId } from '../util/git-object.js';
import type { BinaryChunk, FilePatch } from './types.js';

const BASE85 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~';
const BASE85_VALUE = new Map([...BASE85].map((c, i) => [c, i]));
const NULL_OID = '0'.repeat(40);

/** A chunk's header line ("literal 1234", "delta 56"), or undefined. */
export function binaryChunkHeader(line: string): Omit<BinaryChunk, 'data' | 'patchLine'> | undefined {
  const m = /^(literal|delta) (\d+)$/.exec(line);
  return m ? { kind: m[1] as BinaryChunk['kind'], size: Number(m[2]) } : undefined;
}

/** The bytes of one chunk's base85 lines: each line's first letter is its byte count (A=1 ... z=52). */
function decodeBase85(chunk: BinaryChunk): Buffer {
  const parts: Buffer[] = [];
  for (const [k, line] of chunk.data.entries()) {
    const bad = () => new Error(`corrupt binary patch at line ${chunk.patchLine + 1 + k}: ${JSON.stringify(line.slice(0, 20))}`);
    const c = line.charCodeAt(0);
    const len = c >= 65 && c <= 90 ? c - 64 : c >= 97 && c <= 122 ? c - 96 + 26 : 0;
    if (!len || line.length !== 1 + Math.ceil(len / 4) * 5) throw bad();
    const out = Buffer.alloc(Math.ceil(len / 4) * 4);
    for (let g = 0; g < out.length / 4; g++) {
      let acc = 0;
      for (let j = 0; j < 5; j++) {
        const v = BASE85_VALUE.get(line[1 + g * 5 + j]!);
        if (v === undefined) throw bad();
        acc = acc * 85 + v;
      }
      if (acc > 0xffffffff) throw bad();
      out.writeUInt32BE(acc, g * 4);
    }
    parts.push(out.subarray(0, len));
  }
  return Buffer.concat(parts);
}

/** git's delta format: the source and result sizes, then copy (from the source) and insert instructions. */
function applyDelta(source: Buffer, delta: Buffer): Buffer | undefined {
  let at = 0;
  const size = (): number | undefined => {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (at >= delta.length) return undefined;
      const b = delta[at++]!;
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(b & 0x80)) return value;
    }
  };
  if (size() !== source.length) return undefined;
  const resultSize = size();
  if (resultSize === undefined) return undefined;
  const out = Buffer.alloc(resultSize);
  let written = 0;
  while (at < delta.length) {
    const cmd = delta[at++]!;
    if (cmd & 0x80) {
      let offset = 0;
      let length = 0;
      for (let bit = 0; bit < 4; bit++) if (cmd & (1 << bit)) offset += (delta[at++] ?? 0) * 2 ** (8 * bit);
      for (let bit = 0; bit < 3; bit++) if (cmd & (0x10 << bit)) length += (delta[at++] ?? 0) * 2 ** (8 * bit);
      if (length === 0) length = 0x10000;
      if (at > delta.length || offset + length > source.length || written + length > resultSize) return undefined;
      written += source.copy(out, written, offset, offset + length);
    } else if (cmd) {
      if (at + cmd > delta.length || written + cmd > resultSize) return undefined;
      written += delta.copy(out, written, at, at + cmd);
      at += cmd;
    } else {
      return undefined; // opcode 0 is reserved
    }
  }
  return written === resultSize ? out : undefined;
}

/** git's blob id of a byte string, in hex. */
function blobId(content: string): string {
  return objectId('blob', Buffer.from(content, 'latin1')).toString('hex');
}

/**
 * Apply a git binary patch to `content` (undefined: no such file) in the given direction: the
 * new content (null: the file is deleted) or git apply's reason for refusing. `name`: the path
 * it writes, for the messages.
 */
export function applyBinaryPatch(content: string | undefined, file: FilePatch, reverse: boolean, name: string): { content: string | null } | { error: string } {
  const bin = file.binaryPatch;
  if (!bin) return { error: 'binary diff without its data ("Binary files ... differ"): make it again with git diff --binary' };
  const [fromOid, toOid] = reverse ? [bin.newOid, bin.oldOid] : [bin.oldOid, bin.newOid];
  if (!/^[0-9a-f]{40}$/.test(fromOid) || !/^[0-9a-f]{40}$/.test(toOid)) {
    return { error: `cannot apply binary patch to '${name}' without full index line (make it with git diff --binary --full-index)` };
  }
  const creates = reverse ? file.isDelete : file.isNew;
  if (!creates) {
    if (content === undefined) return { error: 'file not found' };
    const have = blobId(content);
    if (have !== fromOid) return { error: `the patch applies to '${name}' (${fromOid}), which does not match the current contents (${have})` };
  } else if (content !== undefined && content !== '') {
    return { error: 'file already exists' };
  }
  if (toOid === NULL_OID) return { content: null };
  const chunk = reverse ? bin.reverse : bin.forward;
  if (!chunk) return { error: `cannot reverse-apply a binary patch without the reverse hunk to '${name}'` };
  let data: Buffer;
  try {
    data = inflateSync(decodeBase85(chunk));
  } catch (e) {
    return { error: `binary patch to '${name}' cannot be decoded: ${(e as Error).message}` };
  }
  if (data.length !== chunk.size) return { error: `binary patch to '${name}' is corrupt: ${data.length} bytes inflated, ${chunk.size} expected` };
  const result = chunk.kind === 'literal' ? data : applyDelta(Buffer.from(content ?? '', 'latin1'), data);
  if (!result) return { error: `binary patch does not apply to '${name}'` };
  const out = result.toString('latin1');
  const got = blobId(out);
  if (got !== toOid) return { error: `binary patch to '${name}' creates incorrect result (expecting ${toOid}, got ${got})` };
  return { content: out };
}
