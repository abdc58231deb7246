// Definitions as YAML checked by a JSON schema (queue.yaml, configs/*.yaml,
// toolchains/*/toolchain.yaml): parse the YAML keeping the line and column of every data path,
// compile the schema with ajv, and the small pieces that turn an ajv error into a diagnostic at
// file:line:column. What the messages say stays with each loader: the words differ per file.

import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type Options as AjvOptions, type ValidateFunction } from 'ajv';
import { isMap, isScalar, isCollection, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { closest } from './suggest.js';

export type DataPath = readonly (string | number)[];

export interface Position {
  line: number;
  column: number;
  /** Offset in the text (to sort diagnostics in file order). */
  offset: number;
}

/** Positions in a YAML file: from a data path (['series', 2, 'file']) to the line and column of its node. */
export class YamlPositions {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lc: LineCounter,
    private readonly text: string,
  ) {}

  /** The text of the scalar at `path` as written (before YAML turned 6.10 into 6.1, or 0x10 into 16). */
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

/** Parse one YAML document, keeping positions (duplicate keys are errors). */
export function parseYaml(text: string): { doc: Document.Parsed; pos: YamlPositions } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  return { doc, pos: new YamlPositions(doc, lineCounter, text) };
}

/** yaml's errors, the first on each line (it often reports one mistake twice at one spot). */
export function firstErrorPerLine(doc: Document.Parsed, pos: YamlPositions): { pos: Position; code: string; message: string }[] {
  const seen = new Set<number>();
  const out: { pos: Position; code: string; message: string }[] = [];
  for (const e of doc.errors) {
    const p = pos.at(e.pos[0]);
    if (seen.has(p.line)) continue;
    seen.add(p.line);
    out.push({ pos: p, code: e.code, message: e.message });
  }
  return out;
}

/** What to do about yaml's syntax errors, by error code; `multipleDocs` names the file's kind. */
export function yamlSyntaxHints(multipleDocs: string): Partial<Record<string, string>> {
  return {
    DUPLICATE_KEY: 'each key may appear once in a mapping: remove or merge the repeated one',
    TAB_AS_INDENT: 'indent with spaces, not tabs',
    BLOCK_AS_IMPLICIT_KEY: "check the indentation: keys of one mapping line up, and a value containing ': ' needs quotes",
    MULTILINE_IMPLICIT_KEY: "check the indentation: keys of one mapping line up, and a value containing ': ' needs quotes",
    BAD_INDENT: 'check the indentation, and that every [ or { is closed',
    MISSING_CHAR: 'close the quote or bracket opened before this point',
    UNEXPECTED_TOKEN: "check the indentation and the '- ' and ': ' markers around here",
    MULTIPLE_DOCS: multipleDocs,
    BAD_SCALAR_START: 'quote values that start with @, `, %, *, & or !',
  };
}

// --- Data paths ------------------------------------------------------------------------------

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

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value at `path` in plain data, or undefined where the path leads nowhere. */
export function getAt(data: unknown, path: DataPath): unknown {
  let cur = data;
  for (const seg of path) {
    if (Array.isArray(cur) && typeof seg === 'number') cur = cur[seg];
    else if (isRecord(cur) && typeof seg === 'string') cur = cur[seg];
    else return undefined;
  }
  return cur;
}

// --- Schema ----------------------------------------------------------------------------------

/** The parts of a JSON schema node the messages use. */
export interface SchemaNode {
  description?: string;
  properties?: Record<string, SchemaNode>;
  enum?: unknown[];
  pattern?: string;
}

const ajvByFile = new Map<string, { ajv: Ajv; schema: SchemaNode }>();

/** An ajv of its own holding the schema in `file` under the key 'root' (read once per process). */
export function loadSchema(file: string, options: AjvOptions = {}): { ajv: Ajv; schema: SchemaNode } {
  let entry = ajvByFile.get(file);
  if (!entry) {
    const schema = JSON.parse(readFileSync(file, 'utf8')) as SchemaNode;
    // The schemas ship with tiny: test/unit/json-contracts.test.ts checks each against JSON
    // Schema's own meta-schema. Checking them again here compiled that meta-schema in every
    // process, once per schema file: a cached `tiny build` took 1.05 s without it against 1.18 s.
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, validateSchema: false, ...options });
    ajv.addSchema(schema as object, 'root');
    entry = { ajv, schema };
    ajvByFile.set(file, entry);
  }
  return entry;
}

/** The validator of the schema in `file` (or of its definition `definition`). */
export function schemaValidator(file: string, options: AjvOptions = {}, definition?: string): ValidateFunction {
  const key = definition ? `root#/definitions/${definition}` : 'root';
  const v = loadSchema(file, options).ajv.getSchema(key);
  if (!v) throw new Error(definition ? `schema ${file} has no definition '${definition}'` : `schema ${file} did not compile`);
  return v;
}

/** "a list", "true or false": what a schema type is called in messages. */
export const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

/** A value as messages show it: 'text', 42, true, a list, a mapping, empty. */
export function showValue(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `'${v}'`;
  return String(v);
}

/** An additionalProperties error: the unknown key, the keys allowed there, and the nearest of them. */
export function unknownKey(err: ErrorObject): { key: string; allowed: string[]; guess: string | undefined } {
  const key = String((err.params as { additionalProperty: string }).additionalProperty);
  const allowed = Object.keys((err.parentSchema as SchemaNode | undefined)?.properties ?? {});
  return { key, allowed, guess: closest(key, allowed) };
}

/** A required error: the missing key. */
export function missingKey(err: ErrorObject): string {
  return String((err.params as { missingProperty: string }).missingProperty);
}

/** A type error: the type the schema wants. */
export function wantedType(err: ErrorObject): string {
  return String((err.params as { type: string }).type);
}

/** A uniqueItems error: the indices of the first item and of its repetition. */
export function repeatedItem(err: ErrorObject): { first: number; second: number } {
  const { i, j } = err.params as { i: number; j: number };
  return { first: Math.min(i, j), second: Math.max(i, j) };
}

/** Drop diagnostics that say the same at the same spot (ajv reports some mistakes once per branch). */
export function uniqueAtPosition<T extends { pos: { line: number; column: number }; message: string }>(items: Iterable<T>): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const d of items) {
    const key = `${d.pos.line}:${d.pos.column}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}
