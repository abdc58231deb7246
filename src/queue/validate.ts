// Schema validation of queue.yaml: schema/queue.schema.json (the same file editors use) checked
// with ajv, and each ajv error turned into a diagnostic a user can act on: it points at the
// offending key or value and says what to write instead.

import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { closest } from '../util/suggest.js';
import {
  formatPath,
  fromPointer,
  getAt,
  isRecord,
  missingKey,
  repeatedItem,
  schemaValidator,
  TYPE_WORDS,
  unknownKey,
  wantedType,
  type DataPath,
  type SchemaNode,
  type YamlPositions,
} from '../util/yaml-schema.js';
import type { Collector } from './collect.js';

/** Where the queue schema ships (next to src/ and dist/ alike). */
export const QUEUE_SCHEMA_PATH = fileURLToPath(new URL('../../schema/queue.schema.json', import.meta.url));

interface Validators {
  queue: ValidateFunction;
  source: Record<SourceKind, ValidateFunction>;
}

export const SOURCE_KINDS = ['path', 'url', 'git', 'debian'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

function validators(): Validators {
  const sub = (name: string): ValidateFunction => schemaValidator(QUEUE_SCHEMA_PATH, name);
  return {
    queue: schemaValidator(QUEUE_SCHEMA_PATH),
    source: { path: sub('pathSource'), url: sub('urlSource'), git: sub('gitSource'), debian: sub('debianSource') },
  };
}

/** Context for turning an ajv error into words. */
interface Ctx {
  data: unknown;
  pos: YamlPositions;
  out: Collector;
}

/**
 * Validate `data` (queue.yaml as plain JS) against the schema, adding diagnostics to `out`.
 * Sources are validated one by one against the branch their key selects (path, url, git or
 * debian), because ajv's errors for a failed oneOf list every branch and help nobody.
 */
export function validateSchema(data: unknown, pos: YamlPositions, out: Collector): void {
  const v = validators();
  const ctx: Ctx = { data, pos, out };
  if (!v.queue(data)) {
    for (const err of v.queue.errors ?? []) {
      if (SOURCE_ITEM.test(err.instancePath)) continue;
      report(ctx, err, []);
    }
  }
  for (const path of sourceItemPaths(data)) validateSource(ctx, path, v);
}

/** Errors inside one source item ("/base/sources/0", "/bases/1/sources/2/url"). */
const SOURCE_ITEM = /^\/(base|bases\/\d+)\/sources\/\d+(\/|$)/;

function sourceItemPaths(data: unknown): DataPath[] {
  if (!isRecord(data)) return [];
  const bases: [DataPath, unknown][] = [[['base'], data.base]];
  if (Array.isArray(data.bases)) {
    data.bases.forEach((b, i) => {
      bases.push([['bases', i], b]);
    });
  }
  const paths: DataPath[] = [];
  for (const [p, base] of bases) {
    if (isRecord(base) && Array.isArray(base.sources)) {
      base.sources.forEach((_, i) => {
        paths.push([...p, 'sources', i]);
      });
    }
  }
  return paths;
}

const SOURCE_EXAMPLES = 'write one of: `- path: ~/src/linux-2.6.9` (directory or tarball), `- url: https://... ` with `sha256:`, `- git: <repo>` with `ref: v2.6.9`, or `- debian: linux-source-6.1`';

function validateSource(ctx: Ctx, path: DataPath, v: Validators): void {
  const item = getAt(ctx.data, path);
  if (!isRecord(item)) {
    ctx.out.at(ctx.pos.valuePos(path), `a source must be a mapping, not ${describeValue(item)}`, SOURCE_EXAMPLES);
    return;
  }
  const kinds = SOURCE_KINDS.filter((k) => k in item);
  if (kinds.length === 0) {
    const stray = Object.keys(item).find((k) => closest(k, SOURCE_KINDS) !== undefined);
    const hint = stray ? `did you mean '${closest(stray, SOURCE_KINDS)}'? ` : '';
    ctx.out.at(ctx.pos.valuePos(path), `a source needs one of 'path', 'url', 'git' or 'debian'`, `${hint}${SOURCE_EXAMPLES}`);
    return;
  }
  if (kinds.length > 1) {
    ctx.out.at(ctx.pos.keyPos([...path, kinds[1]!]), `a source has both '${kinds[0]}' and '${kinds[1]}'`, `give each source its own list item (each starting with '- '); they are tried in order`);
    return;
  }
  const validate = v.source[kinds[0]!];
  if (validate(item)) return;
  for (const err of validate.errors ?? []) report(ctx, err, path);
}

/** Turn one ajv error (instancePath relative to `base`) into a diagnostic. */
function report(ctx: Ctx, err: ErrorObject, base: DataPath): void {
  const path = [...base, ...fromPointer(err.instancePath)];
  const parent = err.parentSchema as SchemaNode | undefined;
  const value = getAt(ctx.data, path);
  switch (err.keyword) {
    case 'additionalProperties': {
      const { key, allowed, guess } = unknownKey(err);
      const hint = guess ? `did you mean '${guess}'?` : `allowed keys here: ${allowed.join(', ')}`;
      ctx.out.at(ctx.pos.keyPos([...path, key]), `unknown key '${key}'`, hint);
      return;
    }
    case 'required': {
      const prop = missingKey(err);
      const hint = requiredHint(path, prop) ?? parent?.properties?.[prop]?.description;
      ctx.out.at(ctx.pos.valuePos(path), `${owner(ctx, path)} is missing '${prop}'`, hint);
      return;
    }
    case 'type': {
      const want = wantedType(err);
      const { message, hint } = typeMessage(ctx, path, want, value, parent?.description);
      // An empty value has no text of its own: point at its key instead.
      ctx.out.at(value === null ? ctx.pos.keyPos(path) : ctx.pos.valuePos(path), message, hint);
      return;
    }
    case 'pattern': {
      if (isGuardPath(path)) return; // reported by the guard check, with the four forms
      const { message, hint } = patternMessage(path, String(value), parent);
      ctx.out.at(ctx.pos.valuePos(path), message, hint);
      return;
    }
    case 'minLength':
      ctx.out.at(ctx.pos.valuePos(path), `'${label(path)}' must not be empty`, parent?.description);
      return;
    case 'minimum':
      ctx.out.at(ctx.pos.valuePos(path), `'${label(path)}' must be ${String((err.params as { limit: number }).limit)} or more, not ${String(value)}`, parent?.description);
      return;
    case 'uniqueItems': {
      const { first, second } = repeatedItem(err);
      const list = getAt(ctx.data, path);
      const item = Array.isArray(list) ? String(list[second]) : '?';
      const firstLine = ctx.pos.valuePos([...path, first]).line;
      ctx.out.at(ctx.pos.valuePos([...path, second]), `'${label(path)}' lists '${item}' twice (first on line ${firstLine})`, 'remove the repeated item');
      return;
    }
    default:
      ctx.out.at(ctx.pos.valuePos(path), `'${label(path) || 'queue'}' ${err.message ?? 'is invalid'}`, parent?.description);
  }
}

function isGuardPath(path: DataPath): boolean {
  return path.length === 4 && path[0] === 'series' && path[2] === 'guards';
}

/** The name a message uses for a mapping: "the queue", "base", "patch 'foo'", "base.sources[0]". */
function owner(ctx: Ctx, path: DataPath): string {
  if (path.length === 0) return 'the queue';
  if (path.length === 2 && path[0] === 'series') {
    const name = getAt(ctx.data, [...path, 'name']);
    return typeof name === 'string' ? `patch '${name}'` : `series entry ${Number(path[1]) + 1}`;
  }
  return formatPath(path);
}

/** The last key of a path, with any list indices after it: "strip", "guards[0]". */
function label(path: DataPath): string {
  let i = path.length - 1;
  while (i > 0 && typeof path[i] === 'number') i--;
  return formatPath(path.slice(i));
}

function requiredHint(path: DataPath, prop: string): string | undefined {
  const where = path.length === 0 ? 'root' : path[0] === 'series' ? 'patch' : path.includes('sources') ? 'source' : 'base';
  const hints: Record<string, string> = {
    'root:name': 'add `name: <queue name>`, e.g. name: linux-tiny',
    'root:base': 'add `base:` with the kernel `version:` and its `sources:`',
    'root:series': 'add `series:` listing the patches in the order they apply (`series: []` for none yet)',
    'base:version': 'add the kernel version, e.g. version: "2.6.9"',
    'base:sources': 'add `sources:` saying where the tree comes from (path, url + sha256, git + ref, or debian)',
    'patch:name': 'add `name:`, a unique name for the patch (used by depends and reports)',
    'patch:file': 'add `file:` with the patch path relative to the queue directory, e.g. file: patches/foo.patch',
    'source:ref': 'add the tag, branch or commit to use, e.g. ref: v2.6.9',
  };
  return hints[`${where}:${prop}`];
}

export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `a string ('${v}')`;
  if (typeof v === 'boolean') return String(v);
  return `a number (${String(v)})`;
}

function typeMessage(ctx: Ctx, path: DataPath, want: string, value: unknown, description?: string): { message: string; hint?: string } {
  const name = label(path);
  const message = name === '' ? `the queue must be ${TYPE_WORDS[want] ?? want}, not ${describeValue(value)}` : `'${name}' must be ${TYPE_WORDS[want] ?? want}, not ${describeValue(value)}`;
  const key = path[path.length - 1];
  const raw = ctx.pos.sourceText(path);
  if (want === 'string' && (typeof value === 'number' || typeof value === 'boolean') && raw !== undefined) {
    // version: 6.10 is the number 6.1 to YAML: the quotes are what keep the text intact.
    return { message, hint: `quote it: ${typeof key === 'string' ? `${key}: ` : ''}"${raw}"` };
  }
  if (want === 'array' && (value === null || value === undefined)) {
    return { message, hint: key === 'series' ? 'write `series: []` for a queue with no patches yet' : `write \`${String(key)}: []\` for an empty list, or remove the key` };
  }
  if (want === 'array' && typeof value !== 'object' && raw !== undefined) {
    return { message, hint: `write a list: ${String(key)}: [${raw}]` };
  }
  if (name === '') return { message, hint: 'a queue.yaml is a mapping with name:, base: and series:' };
  if (want === 'object' && path.length === 2 && path[0] === 'series') {
    return { message, hint: 'each patch is a mapping: `- name: <name>` with `file: patches/<name>.patch` on the next line' };
  }
  return { message, ...(description ? { hint: description } : {}) };
}

function patternMessage(path: DataPath, value: string, schema: SchemaNode | undefined): { message: string; hint?: string } {
  const key = label(path);
  switch (path[path.length - 1]) {
    case 'option': {
      const fixed = value.replace(/^CONFIG_/i, '').toUpperCase();
      const ok = /^[A-Z0-9_]+$/.test(fixed);
      return {
        message: `option '${value}' must be a Kconfig symbol without CONFIG_, in uppercase`,
        hint: ok ? `write option: ${fixed}` : 'use letters, digits and _ only, e.g. option: PRINTK',
      };
    }
    case 'tree':
      return { message: `tree '${value}' is not a git tree hash (40 lowercase hex digits)`, hint: 'get it with `git rev-parse v2.6.9^{tree}` in a kernel repository' };
    case 'sha256':
      return { message: `sha256 '${value}' is not a sha256 (64 lowercase hex digits)`, hint: 'compute it with `sha256sum <file>`' };
    case 'url':
      return { message: `url '${value}' is not an http(s) or ftp URL`, hint: 'for a local directory or tarball use `path:` instead' };
    case 'debian':
      return { message: `debian '${value}' is not a linux-source package name`, hint: 'e.g. debian: linux-source-6.1 (install it with apt install linux-source-6.1)' };
    case 'name':
      return {
        message: `name '${value}' has characters a name cannot have`,
        hint: `start with a letter or digit and use letters, digits and . _ + -${path[0] === 'series' ? ' /' : ''} (no spaces)`,
      };
    case 'version':
      return { message: `version '${value}' must not contain spaces`, hint: 'e.g. version: "2.6.9"' };
    default:
      return { message: `'${key}' value '${value}' does not match ${schema?.pattern ?? 'the expected form'}`, ...(schema?.description ? { hint: schema.description } : {}) };
  }
}
