// The JSON contracts: every `--format json` / `--json` output validates against
// schema/output/<command>.schema.json, every record against its schema in schema/, and every
// key that names a field is snake_case. Keys that are data (artifact names such as
// System.map, directories, toggles) sit in objects the schema declares as maps
// (additionalProperties: <schema>, no properties); the walk below tells the two apart.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { expect } from 'vitest';
import { REPO } from './cli.js';

/** A schema name: 'output/build' is schema/output/build.schema.json, 'record' schema/record.schema.json. */
export type SchemaName = string;

export const SNAKE_CASE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

export interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  const?: unknown;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  allOf?: SchemaNode[];
  required?: string[];
  definitions?: Record<string, SchemaNode>;
}

export function schemaPath(name: SchemaName): string {
  return join(REPO, 'schema', `${name}.schema.json`);
}

export function readSchema(name: SchemaName): SchemaNode {
  return JSON.parse(readFileSync(schemaPath(name), 'utf8')) as SchemaNode;
}

const validators = new Map<string, ValidateFunction>();

function validator(name: SchemaName): ValidateFunction {
  let v = validators.get(name);
  if (!v) {
    // strict: a misspelt keyword in a schema is an error, not an ignored word.
    v = new Ajv({ allErrors: true, strict: true, strictRequired: true }).compile(readSchema(name));
    validators.set(name, v);
  }
  return v;
}

/** What ajv finds wrong with `doc`, one line per error ("/toggles/0/status must be equal to one of the allowed values"). */
export function contractErrors(name: SchemaName, doc: unknown): string[] {
  const v = validator(name);
  if (v(doc)) return [];
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? `: ${String(e.params.additionalProperty)}` : ''}`);
}

function resolve(node: SchemaNode, root: SchemaNode): SchemaNode {
  let n = node;
  for (let i = 0; n.$ref && i < 20; i++) {
    const m = /^#\/definitions\/(.+)$/.exec(n.$ref);
    if (!m) throw new Error(`unsupported $ref ${n.$ref}`);
    n = root.definitions?.[m[1]!] ?? {};
  }
  return n;
}

const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? 'number' : typeof v);

function accepts(node: SchemaNode, root: SchemaNode, value: unknown): boolean {
  const n = resolve(node, root);
  if (n.oneOf || n.anyOf) return (n.oneOf ?? n.anyOf)!.some((b) => accepts(b, root, value));
  if (n.const !== undefined) return n.const === value;
  if (!n.type) return true;
  const types = Array.isArray(n.type) ? n.type : [n.type];
  const t = jsonType(value);
  return types.includes(t) || (t === 'number' && types.includes('integer'));
}

/** The branches of a node that could describe `value`. */
function branches(node: SchemaNode, root: SchemaNode, value: unknown): SchemaNode[] {
  const n = resolve(node, root);
  if (n.oneOf || n.anyOf) return (n.oneOf ?? n.anyOf)!.filter((b) => accepts(b, root, value)).flatMap((b) => branches(b, root, value));
  if (n.allOf) return n.allOf.flatMap((b) => branches(b, root, value));
  return [n];
}

/**
 * Every key of `doc` that names a field and is not snake_case, as a JSON pointer. A key is a
 * field name unless every schema branch for its object is a map (additionalProperties holds a
 * schema, and no properties are declared).
 */
export function snakeCaseViolations(doc: unknown, schema: SchemaNode, root: SchemaNode = schema, path = ''): string[] {
  const out: string[] = [];
  const nodes = branches(schema, root, doc);
  if (Array.isArray(doc)) {
    doc.forEach((item, i) => {
      for (const n of nodes) if (n.items) out.push(...snakeCaseViolations(item, n.items, root, `${path}/${i}`));
    });
  } else if (doc !== null && typeof doc === 'object') {
    const isMap = nodes.length > 0 && nodes.every((n) => !n.properties && typeof n.additionalProperties === 'object');
    for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
      if (!isMap && !SNAKE_CASE.test(k)) out.push(`${path}/${k}`);
      for (const n of nodes) {
        const child = n.properties?.[k] ?? (typeof n.additionalProperties === 'object' ? n.additionalProperties : undefined);
        if (child) out.push(...snakeCaseViolations(v, child, root, `${path}/${k}`));
      }
    }
  }
  return [...new Set(out)];
}

/** The output validates against its schema, and its field names are snake_case. */
export function expectContract(name: SchemaName, doc: unknown): void {
  expect(contractErrors(name, doc), `${name}: schema errors`).toEqual([]);
  expect(snakeCaseViolations(doc, readSchema(name)), `${name}: keys that are not snake_case`).toEqual([]);
}

/** Parse a command's stdout as JSON and check it against schema/output/<command>.schema.json. */
export function expectJsonOutput(command: string, stdout: string): Record<string, unknown> {
  const doc = JSON.parse(stdout) as Record<string, unknown>;
  expectContract(`output/${command}`, doc);
  return doc;
}
