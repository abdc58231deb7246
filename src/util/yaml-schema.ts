// Definitions as YAML checked by a JSON schema (queue.yaml, configs/*.yaml,
// toolchains/*/toolchain.yaml): parse the YAML keeping the line and column of every data path,
// compile the schema with ajv, and the small pieces that turn an ajv error into a diagnostic at
// file:line:column. What the messages say stays with each loader: the words differ per file.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvClass, ErrorObject, Options as AjvOptions, ValidateFunction } from 'ajv';
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

/**
 * A file's own ajv options. toolchain.schema.json's if/then branch requires `reason`, which the
 * top-level properties define and the branch does not: ajv's strict mode would call it a mistake.
 */
const OWN_OPTIONS: Readonly<Record<string, AjvOptions>> = {
  'toolchain.schema.json': { strictRequired: false },
};

/**
 * The ajv options a schema compiles with: the same everywhere (every error, each with the schema
 * node that raised it, for the messages), plus a file's own. The schemas ship with tiny, and
 * test/unit/json-contracts.test.ts checks each against JSON Schema's own meta-schema; checking
 * them again at load compiled that meta-schema in every process.
 */
export function ajvOptionsFor(file: string): AjvOptions {
  return { allErrors: true, verbose: true, strict: true, validateSchema: false, ...(OWN_OPTIONS[basename(file)] ?? {}) };
}

/** The shipped schemas that YAML files and plan files are checked against (paths in schema/). */
export const VALIDATED_SCHEMAS = ['queue.schema.json', 'config.schema.json', 'toolchain.schema.json', 'arch.schema.json', 'output/plan.schema.json'] as const;

/** Where the shipped schemas live (next to src/ and dist/ alike). */
export const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

/**
 * Where `npm run build` writes validators generated from the shipped schemas (dist/validators;
 * src/util/schema-codegen.ts). From src/ (the tests) there are none, and schemas compile at load.
 */
export const PRECOMPILED_DIR = fileURLToPath(new URL('../validators/', import.meta.url));

const requireHere = createRequire(import.meta.url);

/**
 * What a generated validator was generated from: ajv's version, the options and the schema's
 * text. A generated module answers only for the same three; anything else compiles at load.
 */
export function schemaSourceId(text: string, options: AjvOptions): string {
  const { version } = requireHere('ajv/package.json') as { version: string };
  return createHash('sha256')
    .update(`ajv ${version}\n${JSON.stringify(options)}\n${text}`)
    .digest('hex');
}

/** The generated module's file name for a shipped schema ('output/plan.schema.json' -> 'output-plan.schema.cjs'). */
export function precompiledName(schemaPath: string): string {
  return `${schemaPath.replace(/\//g, '-').replace(/\.json$/, '')}.cjs`;
}

/** What a generated module exports: its source id, and each validator's export name by schema key. */
interface PrecompiledModule {
  source: string;
  refs: Record<string, string>;
  [name: string]: unknown;
}

/** The generated validators of `file` when they were generated from this text and options; else undefined. */
function precompiled(file: string, text: string, options: AjvOptions, dir: string): PrecompiledModule | undefined {
  const rel = relative(SCHEMA_DIR, file);
  if (rel.startsWith('..') || !(VALIDATED_SCHEMAS as readonly string[]).includes(rel)) return undefined;
  const path = join(dir, precompiledName(rel));
  if (!existsSync(path)) return undefined;
  // A module that is there but does not load is a broken build: said, not hidden.
  const mod = requireHere(path) as PrecompiledModule;
  return mod.source === schemaSourceId(text, options) ? mod : undefined;
}

/** A schema ready to validate: its JSON (for the messages) and its validators by key. */
export interface LoadedSchema {
  schema: SchemaNode;
  /** 'root', or 'root#/definitions/NAME'; undefined when the schema has no such key. */
  validator(key: string): ValidateFunction | undefined;
  /** Whether the validators came generated (dist/validators) rather than compiled at load. */
  precompiled: boolean;
}

const loadedByFile = new Map<string, LoadedSchema>();

/**
 * The schema in `file`, read once per process. Its validators come from the generated module
 * when there is one for this very text (the four YAML schemas' load in 15 ms, against 170–200 ms
 * to load ajv's compiler and compile them), else from an ajv of its own holding the schema under
 * the key 'root'.
 */
export function loadSchema(file: string, precompiledDir = PRECOMPILED_DIR): LoadedSchema {
  const cacheKey = `${precompiledDir}\0${file}`;
  let entry = loadedByFile.get(cacheKey);
  if (!entry) {
    const text = readFileSync(file, 'utf8');
    const schema = JSON.parse(text) as SchemaNode;
    const options = ajvOptionsFor(file);
    const generated = precompiled(file, text, options, precompiledDir);
    if (generated) {
      const refs = generated.refs;
      entry = { schema, precompiled: true, validator: (key) => (Object.hasOwn(refs, key) ? (generated[refs[key]!] as ValidateFunction) : undefined) };
    } else {
      // Required here, not imported at the top: loading ajv's compiler takes about 0.14 s, which
      // a command whose validators were generated does not pay.
      const { Ajv } = requireHere('ajv') as { Ajv: typeof AjvClass };
      const ajv = new Ajv(options);
      ajv.addSchema(schema as object, 'root');
      entry = { schema, precompiled: false, validator: (key) => ajv.getSchema(key) };
    }
    loadedByFile.set(cacheKey, entry);
  }
  return entry;
}

/** The validator of the schema in `file` (or of its definition `definition`). */
export function schemaValidator(file: string, definition?: string): ValidateFunction {
  const key = definition ? `root#/definitions/${definition}` : 'root';
  const v = loadSchema(file).validator(key);
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
