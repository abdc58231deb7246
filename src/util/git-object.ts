// A git object's id, for every module that names objects by content: the tree store's packs and
// hashes (src/tree) and the check of a git binary patch's pre- and postimage (src/patch).

import { createHash } from 'node:crypto';

export type ObjectType = 'commit' | 'tree' | 'blob';

/** The git object id of an object: SHA-1 of "<type> <size>\0" and the body. */
export function objectId(type: ObjectType, body: Buffer): Buffer {
  return createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest();
}
