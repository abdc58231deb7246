// Positions in a YAML file: from a data path (['series', 2, 'file']) to the line and column of
// the node in the text, so every diagnostic about queue.yaml points where the user must edit.

import { isMap, isScalar, isCollection, type Document, type LineCounter, type Node } from 'yaml';

export type DataPath = readonly (string | number)[];

export interface Position {
  line: number;
  column: number;
  /** Offset in the text (to sort diagnostics in file order). */
  offset: number;
}

export class YamlPositions {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lc: LineCounter,
    private readonly text: string,
  ) {}

  /** The text of the scalar at `path` as written (before YAML turned 6.10 into 6.1). */
  sourceText(path: DataPath): string | undefined {
    const node = this.node(path);
    if (!isScalar(node) || !node.range) return undefined;
    return this.text.slice(node.range[0], node.range[1]);
  }

  at(offset: number): Position {
    const { line, col } = this.lc.linePos(offset);
    return { line, column: col, offset };
  }

  /** The node at `path`, or undefined when the path does not exist in the document. */
  node(path: DataPath): Node | undefined {
    if (path.length === 0) return (this.doc.contents as Node | null) ?? undefined;
    const n: unknown = this.doc.getIn(path, true);
    return isCollection(n) || isScalar(n) ? n : undefined;
  }

  /** The key node `key` of the mapping at `path`. */
  keyNode(path: DataPath, key: string): Node | undefined {
    const map = this.node(path);
    if (!isMap(map)) return undefined;
    const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    return isScalar(pair?.key) ? pair.key : undefined;
  }

  /** Where the value at `path` starts; falls back to the nearest existing ancestor. */
  valuePos(path: DataPath): Position {
    for (let n = path.length; n >= 0; n--) {
      const node = this.node(path.slice(0, n));
      if (node?.range) return this.at(node.range[0]);
    }
    return { line: 1, column: 1, offset: 0 };
  }

  /** Where the key `path[last]` is written (for "unknown key" and friends). */
  keyPos(path: DataPath): Position {
    const last = path[path.length - 1];
    if (typeof last === 'string') {
      const key = this.keyNode(path.slice(0, -1), last);
      if (key?.range) return this.at(key.range[0]);
    }
    return this.valuePos(path);
  }
}

/** "series[2].file" for messages; "" for the root. */
export function formatPath(path: DataPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

/** Decode an ajv instancePath ("/series/2/file") into a data path. */
export function fromPointer(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}
