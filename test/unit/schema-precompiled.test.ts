// The validators `npm run build` generates from the shipped schemas (dist/validators) answer
// exactly as the schemas compiled at load do: the same verdict and the same errors (paths,
// keywords, params and the schema nodes the messages quote) on every YAML file of each kind in
// the repository and on broken variants of them. A generated module made from another text of
// its schema is not used.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYamlText } from 'yaml';
import { precompiledModule, writePrecompiledValidators } from '../../src/util/schema-codegen.js';
import { loadSchema, precompiledName, SCHEMA_DIR, VALIDATED_SCHEMAS } from '../../src/util/yaml-schema.js';
import { REPO } from '../helpers/cli.js';

// Inside the project, as dist/validators is: the modules require ajv's runtime helpers.
mkdirSync(join(REPO, 'node_modules', '.cache'), { recursive: true });
const generated = mkdtempSync(join(REPO, 'node_modules', '.cache', 'tiny-validators-'));
const NOWHERE = join(generated, 'none'); // no generated modules: every schema compiles at load
writePrecompiledValidators(generated);
afterAll(() => rmSync(generated, { recursive: true, force: true }));

/** Files under `dir` (recursively) whose path relative to the repository matches `re`. */
function filesMatching(dir: string, re: RegExp): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' })
    .map((f) => join(REPO, dir, f))
    .filter((f) => re.test(relative(REPO, f)));
}

/** A plan as `tiny plan --format json` writes it (two toggles, two shards). */
const PLAN = {
  schema_version: 1,
  config: 'webserver',
  base: { version: '2.6.9', tree: 'f'.repeat(40) },
  toolchain: { name: 'gcc-12-i386', image: 'a'.repeat(64) },
  runtime: 'podman',
  plan_id: 'b'.repeat(64),
  only: ['base', 'queue'],
  balance: 'count',
  shard_count: 2,
  toggles: [
    { name: 'base', kind: 'base', group: 'c'.repeat(12), key: null, stored: false, duration_ms: null, shard: 1 },
    { name: 'queue', kind: 'queue', group: 'd'.repeat(12), key: 'e'.repeat(64), stored: true, duration_ms: 61_000, shard: 2 },
  ],
  shards: [
    { index: 1, toggles: ['base'], estimated_ms: null },
    { index: 2, toggles: ['queue'], estimated_ms: null },
  ],
  critical_path_ms: null,
  matrix: { shard: ['1/2', '2/2'] },
  notes: [],
};

/** The documents each schema is tried on: the repository's files of its kind (a plan: PLAN). */
const CORPUS: Record<string, string[]> = {
  'queue.schema.json': [join(REPO, 'queue/queue.yaml'), ...filesMatching('test/fixtures', /(^|\/)queue\.yaml$/)],
  'config.schema.json': [...filesMatching('configs', /\.yaml$/), ...filesMatching('test/fixtures', /\/configs\/[^/]+\.yaml$/)],
  'toolchain.schema.json': filesMatching('toolchains', /\/toolchain\.yaml$/),
  'arch.schema.json': filesMatching('arches', /\.yaml$/),
};

/** The file as data (undefined when it is not YAML at all: the loaders stop before the schema). */
function dataOf(file: string): unknown {
  try {
    return parseYamlText(readFileSync(file, 'utf8'), { uniqueKeys: false });
  } catch {
    return undefined;
  }
}

/** Broken variants of a document: each top-level key removed, given another type, and an unknown key added. */
function variants(doc: unknown): unknown[] {
  const out: unknown[] = [{}, [], 'text', 7, null];
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return out;
  const rec = doc as Record<string, unknown>;
  out.push({ ...rec, no_such_key: 1 });
  for (const key of Object.keys(rec)) {
    const { [key]: _dropped, ...rest } = rec;
    out.push(rest);
    for (const wrong of [42, 'x', [1], { y: 1 }, true]) out.push({ ...rec, [key]: wrong });
  }
  return out;
}

/** A validator's verdict and errors, as plain data. */
function verdict(schemaPath: string, dir: string, key: string, data: unknown): unknown {
  const v = loadSchema(join(SCHEMA_DIR, schemaPath), dir).validator(key)!;
  const ok = v(structuredClone(data));
  return { ok, errors: structuredClone(v.errors ?? null) };
}

describe('validators generated from the shipped schemas', () => {
  for (const schemaPath of VALIDATED_SCHEMAS) {
    it(`${schemaPath}: the generated module is used, and answers as the compiled schema does on every file of its kind and broken variants`, () => {
      const file = join(SCHEMA_DIR, schemaPath);
      expect(loadSchema(file, generated).precompiled).toBe(true);
      expect(loadSchema(file, NOWHERE).precompiled).toBe(false);
      const definitions = Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { definitions?: object }).definitions ?? {});
      const keys = ['root', ...definitions.map((d) => `root#/definitions/${d}`)];
      const docs = schemaPath === 'output/plan.schema.json' ? [PLAN] : (CORPUS[schemaPath] ?? []).map(dataOf).filter((d) => d !== undefined);
      let compared = 0;
      expect(docs.length).toBeGreaterThan(0);
      for (const doc of docs) {
        for (const data of [doc, ...variants(doc)]) {
          for (const key of keys) {
            expect(verdict(schemaPath, generated, key, data), `${key} on ${JSON.stringify(data).slice(0, 200)}`).toEqual(verdict(schemaPath, NOWHERE, key, data));
            compared++;
          }
        }
      }
      expect(compared).toBeGreaterThan(20);
    });
  }

  it('the corpus has real files of each YAML kind, valid ones among them, and the plan is valid', () => {
    for (const [schemaPath, files] of Object.entries(CORPUS)) {
      expect(files.length, schemaPath).toBeGreaterThan(2);
      const oks = files.map(dataOf).filter((d) => (verdict(schemaPath, generated, 'root', d) as { ok: boolean }).ok);
      expect(oks.length, schemaPath).toBeGreaterThan(1);
    }
    expect(verdict('output/plan.schema.json', generated, 'root', PLAN)).toEqual({ ok: true, errors: null });
  });

  it('a module generated from another text of its schema is not used: the schema compiles at load', () => {
    const stale = mkdtempSync(join(generated, 'stale-'));
    const name = precompiledName('queue.schema.json');
    writeFileSync(join(stale, name), precompiledModule('queue.schema.json').replace(/exports\.source = "[0-9a-f]{64}"/, `exports.source = "${'0'.repeat(64)}"`));
    expect(loadSchema(join(SCHEMA_DIR, 'queue.schema.json'), stale).precompiled).toBe(false);
  });

  it("the build's modules (dist/validators) are the ones these schemas generate: `npm run build` was run after the last schema change", () => {
    const dist = join(REPO, 'dist', 'validators');
    expect(existsSync(dist), `${dist} is missing: run npm run build`).toBe(true);
    for (const schemaPath of VALIDATED_SCHEMAS) {
      expect(readFileSync(join(dist, precompiledName(schemaPath)), 'utf8'), `${schemaPath}: run npm run build`).toBe(precompiledModule(schemaPath));
    }
  });
});
