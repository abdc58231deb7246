// Patches and tree files are bytes: Linux 2.6 trees hold Latin-1 (CREDITS, drivers, comments),
// GBK and other encodings turn up in patches, and a patch must change exactly the bytes it
// names. Where code needs a string (line splitting, the in-memory applier, regular
// expressions) content is held as a "byte string": one UTF-16 unit per byte, 0x00-0xFF
// (Node's 'latin1' encoding), so bytes -> string -> bytes is exact whatever the encoding.
// Never decode content as UTF-8: invalid sequences become U+FFFD and are lost.
//
// Human text taken from a patch (a Subject, an author, a commit message) is decoded for
// display with `displayText`: UTF-8 when the bytes are valid UTF-8, else Latin-1.

/** Bytes as a byte string (exact: one character per byte). */
export function byteString(bytes: Buffer | Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/**
 * Order two byte strings as their bytes order (git's order of paths and object ids): one
 * character per byte, so comparing the strings compares the bytes, several times faster than
 * Buffer.compare and with no Buffer made per item.
 */
export function compareByteStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A byte string back to its bytes. A character above 0xFF cannot come from bytes: it means
 * decoded text was mixed with content, and writing it would silently change bytes; refuse.
 */
export function bytesOf(s: string): Buffer {
  const bad = /[^\x00-\xff]/.exec(s);
  if (bad) throw new Error(`internal error: not a byte string (U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} at ${bad.index})`);
  return Buffer.from(s, 'latin1');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** True when the byte string holds valid UTF-8 (plain ASCII included). */
export function isUtf8(s: string): boolean {
  if (!/[\x80-\xff]/.test(s)) return true;
  try {
    utf8.decode(Buffer.from(s, 'latin1'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Text for people out of a byte string: decoded as UTF-8 when it is valid UTF-8, else read as
 * Latin-1 (what it then most likely is). A string that already holds characters above 0xFF
 * is text, not bytes, and is returned as it is.
 */
export function displayText(s: string): string {
  if (!/[\x80-\xff]/.test(s) || /[^\x00-\xff]/.test(s)) return s;
  try {
    return utf8.decode(Buffer.from(s, 'latin1'));
  } catch {
    return s;
  }
}

/**
 * A byte string (a path a patch names) as a command-line argument: Node passes arguments as
 * UTF-8, which is exact for every path that is valid UTF-8 (all of Linux's).
 */
export function argOf(s: string): string {
  return displayText(s);
}
