// queue.yaml after a rebase: the new base becomes `base:`, the old one moves to the front of
// `bases:` (with its comments: the queue still claims it), patches that are already in the new
// base are kept for the old base only. A base where the rewritten patches no longer all apply
// is not claimed any more (`dropBases`): it leaves `bases:` and every patch's `bases:` list, and
// a patch meant for no remaining base leaves the series (its file stays). Edited in place with
// the yaml Document API, so comments and layout elsewhere stay as the maintainer wrote them.
// Pure: text in, text out.

import { isMap, isScalar, isSeq, parseDocument, Scalar, type YAMLMap, YAMLSeq, type Node } from 'yaml';
import type { BaseDoc } from '../queue/doc.js';

export interface RebaseEdit {
  oldVersion: string;
  /** The new base: taken from bases: when listed there (its node moves), else written anew. */
  newBase: BaseDoc;
  /** Patches whose change the new base already has: restricted to the old base. */
  alreadyUpstream: string[];
  /** Bases (the old one, or others under bases:) the queue no longer claims: a rewritten patch fails there. */
  dropBases?: string[];
}

/** What the edit left out: patches whose every base was dropped (their entries leave the series). */
export interface RebaseEditResult {
  text: string;
  droppedPatches: string[];
}

/** An empty `bases:` list, placed right after `base:` (a plain set would append it after series:). */
function newBasesList(doc: ReturnType<typeof parseDocument>): YAMLSeq {
  const bases = new YAMLSeq();
  const root = doc.contents as YAMLMap;
  const at = root.items.findIndex((p) => isScalar(p.key) && p.key.value === 'base');
  const pair = doc.createPair('bases', bases);
  root.items.splice(at + 1, 0, pair as (typeof root.items)[number]);
  if (isScalar(pair.key)) pair.key.spaceBefore = true;
  return bases;
}

function versionOf(node: unknown): string | undefined {
  if (!isMap(node)) return undefined;
  const v = node.get('version');
  return v === undefined || v === null ? undefined : String(v);
}

export function rebaseQueueYaml(text: string, edit: RebaseEdit): string {
  return rebaseQueueYamlWithDrops(text, edit).text;
}

export function rebaseQueueYamlWithDrops(text: string, edit: RebaseEdit): RebaseEditResult {
  const drop = new Set(edit.dropBases ?? []);
  const doc = parseDocument(text);
  const oldBase = doc.get('base', true) as Node;
  let bases = doc.get('bases', true) as YAMLSeq | undefined;
  if (bases !== undefined && !isSeq(bases)) throw new Error('queue.yaml: bases: is not a list');

  // The new base's own entry under bases: (comments and all), or a fresh one.
  let newNode: Node | undefined;
  if (bases) {
    const i = bases.items.findIndex((b) => versionOf(b) === edit.newBase.version);
    if (i >= 0) {
      newNode = bases.items[i] as Node;
      bases.items.splice(i, 1);
      // A comment above the first item is kept on the list by the parser: it goes with the item.
      if (i === 0 && bases.commentBefore) {
        newNode.commentBefore = bases.commentBefore;
        bases.commentBefore = undefined;
      }
      if (isMap(newNode) && edit.newBase.tree && !newNode.has('tree')) {
        const at = newNode.items.findIndex((p) => isScalar(p.key) && p.key.value === 'version');
        newNode.items.splice(at + 1, 0, doc.createPair('tree', edit.newBase.tree) as (typeof newNode.items)[number]);
      }
    }
  }
  newNode ??= doc.createNode(edit.newBase) as Node;
  doc.set('base', newNode);

  bases ??= newBasesList(doc);
  // Rebased onto another tree of the same version (a vendor tree, a fixed tarball): that
  // version is the base now; listing it twice would make the queue invalid.
  if (edit.oldVersion !== edit.newBase.version) bases.items.unshift(oldBase);
  bases.items = bases.items.filter((b) => !drop.has(versionOf(b) ?? ''));
  if (!bases.items.length) doc.delete('bases');

  const series = doc.get('series', true);
  const droppedPatches: string[] = [];
  const dropped = new Set<unknown>();
  // Every base the queue claims now but the new one: where a patch the new base already has
  // (and that was meant for every base) stays.
  const claimed = [edit.oldVersion, ...bases.items.map((b) => versionOf(b) ?? '')].filter((v, i, a) => v && v !== edit.newBase.version && a.indexOf(v) === i);
  if (isSeq(series)) {
    for (const entry of series.items) {
      if (!isMap(entry)) continue;
      const name = String(entry.get('name'));
      const listed = entry.get('bases', true);
      const versions = isSeq(listed) ? listed.items.map((v) => String(isScalar(v) ? v.value : v)) : undefined;
      // Per-base variants share a name: only the entry meant for the old base was rebased.
      const meantOld = !versions || versions.includes(edit.oldVersion);
      if (edit.alreadyUpstream.includes(name) && meantOld) {
        if (!versions) {
          const seq = doc.createNode(claimed) as YAMLSeq;
          seq.flow = true;
          entry.set('bases', seq);
        }
      } else if (isSeq(listed)) {
        // A patch meant for some bases only: it now also claims the new one.
        if (versions!.includes(edit.oldVersion) && !versions!.includes(edit.newBase.version)) listed.add(edit.newBase.version);
      }
      const now = entry.get('bases', true);
      if (drop.size && isSeq(now)) {
        now.items = now.items.filter((v) => !drop.has(String(isScalar(v) ? v.value : v)));
        if (!now.items.length) {
          droppedPatches.push(name);
          dropped.add(entry);
        }
      }
    }
    series.items = series.items.filter((e) => !dropped.has(e));
  }
  return { text: doc.toString({ lineWidth: 0, flowCollectionPadding: false }), droppedPatches };
}

/** How one patch meant for the base the rebase started from is carried to the new base. */
export type Carry =
  /** Its file applies on the new base as it is (exactly, or with an offset): it claims the new base too. */
  | { kind: 'same' }
  /** The new base already has the change: the patch stays with the bases it was meant for. */
  | { kind: 'upstream' }
  /** Its port to the new base is a file of its own: a second entry, after this one, for the new base. */
  | { kind: 'variant'; file: string };

export interface AddBaseEdit {
  /** The base the patches were carried from (base: or one of bases:). */
  fromVersion: string;
  /** The new base: appended to bases: unless the queue lists it already. */
  newBase: BaseDoc;
  /** Every base the queue claims before the edit (base: and bases:), in order. */
  claimed: string[];
  /** Per patch name (the entry meant for fromVersion): how it is carried. */
  carry: ReadonlyMap<string, Carry>;
}

/**
 * queue.yaml after a rebase that keeps the old bases: the new base joins bases:; a patch whose
 * file applies there claims it (an entry without bases: already does); a patch ported to it gets
 * a per-base variant entry (same name, options and guards, its own file and `bases: [new]`)
 * right after the entry it was ported from, which stops claiming the new base; a patch the new
 * base already has does not claim it. Pure: text in, text out; comments and layout elsewhere
 * stay as written.
 */
/** A version as queue.yaml writes it: quoted, so that YAML never reads 2.10 as the number 2.1. */
function versionNode(v: string): Scalar {
  const n = new Scalar(v);
  n.type = 'QUOTE_DOUBLE';
  return n;
}

export function addBaseToQueueYaml(text: string, edit: AddBaseEdit): string {
  const doc = parseDocument(text);
  const newVersion = edit.newBase.version;
  if (!edit.claimed.includes(newVersion)) {
    const listed = doc.get('bases', true) as YAMLSeq | undefined;
    if (listed !== undefined && !isSeq(listed)) throw new Error('queue.yaml: bases: is not a list');
    const bases = listed ?? newBasesList(doc);
    const node = doc.createNode(edit.newBase) as YAMLMap;
    node.set('version', versionNode(newVersion));
    bases.items.push(node);
  }
  // The bases an entry without bases: keeps claiming when it stops claiming the new one.
  const others = edit.claimed.filter((v) => v !== newVersion);
  const flowList = (versions: string[]) => {
    const seq = new YAMLSeq();
    seq.items = versions.map(versionNode);
    seq.flow = true;
    return seq;
  };
  const series = doc.get('series', true);
  if (!isSeq(series)) return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  const items: unknown[] = [];
  for (const entry of series.items) {
    items.push(entry);
    if (!isMap(entry)) continue;
    const carry = edit.carry.get(String(entry.get('name')));
    const got: unknown = entry.get('bases', true);
    const listed = isSeq(got) ? got : undefined;
    const versions = listed?.items.map((v) => String(isScalar(v) ? v.value : v));
    // Per-base variants share a name: only the entry meant for the old base was carried.
    if (!carry || (versions && !versions.includes(edit.fromVersion))) continue;
    if (carry.kind === 'same') {
      if (listed && !versions!.includes(newVersion)) listed.add(versionNode(newVersion));
      continue;
    }
    // upstream or variant: this entry no longer claims the new base.
    if (!listed) entry.set('bases', flowList(others));
    else listed.items = listed.items.filter((v) => String(isScalar(v) ? v.value : v) !== newVersion);
    if (carry.kind === 'variant') {
      const variant = entry.clone() as YAMLMap;
      variant.commentBefore = undefined;
      variant.comment = undefined;
      variant.set('file', carry.file);
      variant.set('bases', flowList([newVersion]));
      items.push(variant);
    }
  }
  series.items = items as typeof series.items;
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/**
 * Where the port of a patch file to `version` goes: patches/<version>/ and the file's path under
 * patches/, less a leading base version directory (patches/2.6.11/tiny/x.patch ported to
 * 2.6.12 becomes patches/2.6.12/tiny/x.patch).
 */
export function variantFile(file: string, version: string, claimed: readonly string[]): string {
  let rest = file.startsWith('patches/') ? file.slice('patches/'.length) : file;
  const first = rest.split('/')[0]!;
  if (claimed.includes(first) && rest.includes('/')) rest = rest.slice(first.length + 1);
  return `patches/${version}/${rest}`;
}
