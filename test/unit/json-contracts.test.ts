// The JSON contracts as a whole: every command that prints JSON has a schema in
// schema/output/, every schema (outputs and records) is closed, versioned and snake_case, a
// test validates each against real output, and the key walk that those tests run tells field
// names from data keys.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { REPO } from '../helpers/cli.js';
import { contractErrors, readSchema, SNAKE_CASE, snakeCaseViolations, type SchemaNode } from '../helpers/json-contract.js';

/** Every command path (`queue check`) whose options include --json or --format json. */
function jsonCommands(cmd: Command, path: string[] = []): string[] {
  const out: string[] = [];
  for (const sub of cmd.commands) {
    const here = [...path, sub.name()];
    const json = sub.options.some((o) => o.long === '--json' || (o.long === '--format' && (o.argChoices ?? []).includes('json')));
    if (json) out.push(here.join(' '));
    out.push(...jsonCommands(sub, here));
  }
  return out;
}

const OUTPUT_DIR = join(REPO, 'schema', 'output');
const outputSchemas = readdirSync(OUTPUT_DIR)
  .filter((f) => f.endsWith('.schema.json'))
  .map((f) => f.slice(0, -'.schema.json'.length))
  .sort();
const RECORD_SCHEMAS = ['record', 'run-index', 'boot-result', 'release-manifest', 'results'];

/** Every object node of a schema, with its JSON pointer. */
function objectNodes(node: SchemaNode, at = '#'): Array<{ at: string; node: SchemaNode }> {
  const out: Array<{ at: string; node: SchemaNode }> = [];
  if (node.properties || node.type === 'object' || (Array.isArray(node.type) && node.type.includes('object'))) out.push({ at, node });
  for (const [k, v] of Object.entries(node.properties ?? {})) out.push(...objectNodes(v, `${at}/properties/${k}`));
  for (const [k, v] of Object.entries(node.definitions ?? {})) out.push(...objectNodes(v, `${at}/definitions/${k}`));
  if (typeof node.additionalProperties === 'object') out.push(...objectNodes(node.additionalProperties, `${at}/additionalProperties`));
  if (node.items) out.push(...objectNodes(node.items, `${at}/items`));
  for (const kw of ['oneOf', 'anyOf', 'allOf'] as const) {
    (node[kw] ?? []).forEach((b, i) => {
      out.push(...objectNodes(b, `${at}/${kw}/${i}`));
    });
  }
  return out;
}

describe('JSON outputs and records: one contract', () => {
  it('every command that prints JSON has schema/output/<command>.schema.json, and every schema a command', async () => {
    const commands = jsonCommands(await buildProgram())
      .map((c) => c.replace(/ /g, '-'))
      .sort();
    expect(commands).toEqual([
      'boot',
      'build',
      'diff',
      'doctor',
      'inline-cost',
      'plan',
      'queue-check',
      'queue-list',
      'rebuild',
      'release-changelog',
      'report',
      'store-export',
      'store-import',
      'toolchain-build',
      'toolchain-list',
      'toolchain-show',
    ]);
    // `tiny report --bases` prints a document of its own (several bases side by side).
    expect(outputSchemas).toEqual([...commands, 'report-bases'].sort());
  });

  it('every schema is versioned, closed and snake_case: a field a document gains must be declared first', () => {
    for (const name of [...outputSchemas.map((n) => `output/${n}`), ...RECORD_SCHEMAS]) {
      const schema = readSchema(name);
      const top = [schema, ...(schema.oneOf ?? [])].filter((n) => n.properties);
      for (const t of top) {
        expect(t.required, `${name}: schema_version is required`).toContain('schema_version');
        expect(t.properties!.schema_version!.const, `${name}: schema_version is a constant`).toEqual(expect.any(Number));
      }
      for (const { at, node } of objectNodes(schema)) {
        if (node.properties) {
          expect(node.additionalProperties, `${name} ${at}: an object with properties is closed`).toBe(false);
          for (const key of Object.keys(node.properties)) expect(key, `${name} ${at}`).toMatch(SNAKE_CASE);
          for (const key of node.required ?? []) expect(Object.keys(node.properties), `${name} ${at}: required '${key}' is declared`).toContain(key);
        } else {
          // Without properties an object is a map of data keys: its values are described.
          expect(typeof node.additionalProperties, `${name} ${at}: a map says what its values are`).toBe('object');
        }
      }
    }
  });

  it('every schema is validated against real output by some test', () => {
    const testFiles = ['unit', 'integration', 'e2e'].flatMap((d) =>
      readdirSync(join(REPO, 'test', d))
        .filter((f) => f.endsWith('.test.ts'))
        .map((f) => join(REPO, 'test', d, f)),
    );
    const text = testFiles
      .filter((f) => !f.endsWith('json-contracts.test.ts'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const untested = [
      ...outputSchemas.filter((n) => !text.includes(`expectContract('output/${n}'`) && !text.includes(`expectJsonOutput('${n}'`)),
      ...RECORD_SCHEMAS.filter((n) => !text.includes(`expectContract('${n}'`)),
    ];
    expect(untested).toEqual([]);
  });

  it('every schema file, inputs (queue, configs, toolchains, arches) included, is a valid draft-07 schema: tiny itself does not check them as it loads them', () => {
    const files = readdirSync(join(REPO, 'schema'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.schema.json'));
    expect(files).toEqual(expect.arrayContaining(['queue.schema.json', 'config.schema.json', 'toolchain.schema.json', 'arch.schema.json', 'output/plan.schema.json']));
    const ajv = new Ajv({ strict: true, strictRequired: false });
    const invalid = files.flatMap((f) => {
      const schema = JSON.parse(readFileSync(join(REPO, 'schema', f), 'utf8')) as object;
      return ajv.validateSchema(schema) ? [] : [`${f}: ${ajv.errorsText(ajv.errors)}`];
    });
    expect(invalid).toEqual([]);
    // And the check has teeth: a misspelt type is refused.
    expect(ajv.validateSchema({ type: 'strnig' })).toBe(false);
  });

  it('the key walk tells a camelCase field from a data key', () => {
    const schema: SchemaNode = {
      type: 'object',
      additionalProperties: false,
      properties: {
        sizes: { type: 'object', additionalProperties: { $ref: '#/definitions/file' } },
        maybe: { oneOf: [{ type: 'null' }, { $ref: '#/definitions/file' }] },
        list: { type: 'array', items: { $ref: '#/definitions/file' } },
      },
      definitions: { file: { type: 'object', additionalProperties: false, properties: { bytes: { type: 'integer' } } } },
    };
    // System.map and .config are artifact names (data); startedAt and sizeBytes are field names.
    const doc = { sizes: { 'System.map': { bytes: 1 }, '.config': { bytes: 2, sizeBytes: 3 } }, maybe: { bytes: 4, startedAt: 'x' }, list: [{ bytes: 5 }, { durationMs: 6 }], topLevel: 1 };
    expect(snakeCaseViolations(doc, schema).sort()).toEqual(['/list/1/durationMs', '/maybe/startedAt', '/sizes/.config/sizeBytes', '/topLevel']);
    expect(snakeCaseViolations({ sizes: {}, maybe: null, list: [] }, schema)).toEqual([]);
  });

  it('the schemas catch what a careless change would do', () => {
    expect(contractErrors('output/queue-list', [{ name: 'a' }])).toEqual(['/ must be object']);
    expect(contractErrors('output/doctor', { schema_version: 1, ok: true, checks: [], startedAt: 'now' })).toEqual(['/ must NOT have additional properties: startedAt']);
    expect(contractErrors('output/doctor', { schema_version: 2, ok: true, checks: [] })).toEqual(['/schema_version must be equal to constant']);
  });
});
