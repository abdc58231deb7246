// Rendering queue.yaml from data: the $schema line first (so editors validate and complete
// it), short lists (guards, depends, bases) in flow style, a blank line between sections.

import { relative, dirname, sep } from 'node:path';
import { Document, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import { writeFileAtomic } from '../util/fs.js';
import type { QueueDoc } from './doc.js';
import { QUEUE_SCHEMA_PATH } from './validate.js';

export interface RenderOptions {
  /** Where queue.yaml will live, to point the $schema comment at tiny's schema. */
  queueFile?: string;
  /** Comment lines (without '#') placed after the $schema line. */
  header?: string[];
  /** Comment lines placed just above `base:` (e.g. "fill this in"). */
  baseComment?: string[];
}

/** The modeline yaml-language-server reads; the path is relative to the queue file. */
export function schemaModeline(queueFile: string | undefined): string {
  let path = '../schema/queue.schema.json';
  if (queueFile) path = relative(dirname(queueFile), QUEUE_SCHEMA_PATH).split(sep).join('/');
  return ` yaml-language-server: $schema=${path}`;
}

const comment = (lines: string[]): string => lines.map((l) => (l === '' ? '' : ` ${l}`)).join('\n');

/** queue.yaml text for `doc`. */
export function renderQueueYaml(doc: QueueDoc, opts: RenderOptions = {}): string {
  const d = new Document(doc);
  d.commentBefore = [schemaModeline(opts.queueFile), ...(opts.header ?? []).map((l) => (l === '' ? '' : ` ${l}`))].join('\n');
  if (!isMap(d.contents)) throw new Error('a queue document is a mapping');
  d.contents.items.forEach((pair, i) => {
    if (!isScalar(pair.key)) return;
    if (i > 0) pair.key.spaceBefore = true;
    if (pair.key.value === 'base' && opts.baseComment?.length) pair.key.commentBefore = comment(opts.baseComment);
  });
  flowShortLists(d.get('series', true) as Node | undefined);
  return d.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** guards: [+a, -b] reads better than one item per line. */
function flowShortLists(series: Node | undefined): void {
  if (!isSeq(series)) return;
  for (const entry of series.items) {
    if (!isMap(entry)) continue;
    for (const pair of entry.items) {
      if (isPair(pair) && isSeq(pair.value) && ['guards', 'depends', 'bases'].includes(String((pair.key as { value?: unknown }).value))) {
        pair.value.flow = true;
      }
    }
  }
}

/** Write `doc` to `file` atomically. */
export async function writeQueueYaml(file: string, doc: QueueDoc, opts: Omit<RenderOptions, 'queueFile'> = {}): Promise<void> {
  await writeFileAtomic(file, renderQueueYaml(doc, { ...opts, queueFile: file }));
}
