// metadata.json on disk: the build record in snake_case, checked by schema/record.schema.json
// and described in docs/record.md. In memory a record is a BuildRecord (camelCase, like every
// other TypeScript value); these two functions are the only place the two spellings meet.
//
// Versions of metadata.json:
//   1  camelCase keys (startedAt, durationsMs, baseTree ...) and `schema: 1`.
//   2  snake_case keys, `schema_version: 2`, a `reproducer` (the make command pinned to the
//      image ID), `ccache` (the build's hits and misses) and `image_digest` (null when unknown).
// Both are read: a version 1 record is migrated on read (its key is unchanged: keys hash the
// inputs under their in-memory names, so every stored record keeps being found). Records are
// never rewritten in place; a record written again (a rebuild after a failure) is version 2.

import { reproducerOf, type Reproducer } from '../kbuild/reproducer.js';
import type { BerkeleySize, DirSize, FirstError } from '../measure/types.js';
import type { BuildInputs } from './key.js';
import { RECORD_SCHEMA, type ArtifactName, type BuildRecord, type StoredArtifact } from './types.js';

/** The version of metadata.json this tiny writes. */
export const RECORD_SCHEMA_VERSION = 2;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Keep only the defined members (JSON.stringify drops undefined ones too; this keeps toEqual honest). */
const defined = (o: Json): Json => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

// --- writing ---------------------------------------------------------------------------------

function inputsJson(i: BuildInputs): Json {
  return {
    base_tree: i.baseTree,
    patches: [...i.patches],
    config: i.config,
    toolchain: { name: i.toolchain.name, image: i.toolchain.image },
    arch: i.arch,
    make_variables: { ...i.makeVariables },
    env: { ...i.env },
    targets: [...i.targets],
    tool_version: i.toolVersion,
    runtime: i.runtime,
  };
}

function dirJson(d: DirSize): Json {
  return defined({ dir: d.dir, text: d.text, data: d.data, bss: d.bss, dec: d.dec, objects: d.objects, builtins: [...d.builtins] });
}

export function firstErrorJson(fe: FirstError): Json {
  return defined({ file: fe.file, line: fe.line, column: fe.column, message: fe.message, kind: fe.kind, log_line: fe.logLine, context: [...fe.context] });
}

/** A record as metadata.json holds it (version 2). */
export function recordToJson(r: BuildRecord): Json {
  const m = r.measurement;
  const reproducer: Reproducer = reproducerOf(r.inputs);
  return defined({
    schema_version: RECORD_SCHEMA_VERSION,
    key: r.key,
    inputs: inputsJson(r.inputs),
    config: r.config,
    toggle: defined({ name: r.toggle.name, description: r.toggle.description }),
    patches: r.patches.map((p) => defined({ name: p.name, sha256: p.sha256, strip: p.strip, reverse: p.reverse })),
    source_tree: r.sourceTree,
    base_version: r.baseVersion,
    status: r.status,
    hermetic: r.hermetic,
    image_digest: r.imageDigest ?? null,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
    durations_ms: { ...r.durationsMs },
    measurement: m
      ? defined({
          size: { ...m.size },
          files: Object.fromEntries(Object.entries(m.files).map(([k, f]) => [k, { path: f.path, bytes: f.bytes }])),
          sha256: { ...m.sha256 },
          dirs: m.dirs.map(dirJson),
          subdirs: m.subdirs?.map(dirJson),
          tools: { size: m.tools.size, nm: m.tools.nm },
        })
      : undefined,
    diagnostics: defined({ warnings: r.diagnostics.warnings, errors: r.diagnostics.errors, first_error: r.diagnostics.firstError ? firstErrorJson(r.diagnostics.firstError) : undefined }),
    ccache: r.ccache ? { ...r.ccache } : null,
    reproducer: { image: reproducer.image, command: reproducer.command },
    log: r.log,
    artifacts: Object.fromEntries(Object.entries(r.artifacts).map(([k, a]) => [k, { file: a.file, sha256: a.sha256, bytes: a.bytes, encoding: a.encoding }])),
    image_name: r.imageName,
    skipped: r.skipped ? { ...r.skipped } : undefined,
  });
}

// --- reading ---------------------------------------------------------------------------------

function inputsFrom(v: Json): BuildInputs {
  const tc = v.toolchain as Json;
  return {
    baseTree: v.base_tree as string,
    patches: v.patches as string[],
    config: v.config as string,
    toolchain: { name: tc.name as string, image: tc.image as string },
    arch: v.arch as string,
    makeVariables: v.make_variables as Record<string, string>,
    env: v.env as Record<string, string>,
    targets: v.targets as string[],
    toolVersion: v.tool_version as string,
    runtime: v.runtime as string,
  };
}

function dirFrom(d: Json): DirSize {
  return {
    dir: d.dir as string,
    text: d.text as number,
    data: d.data as number,
    bss: d.bss as number,
    dec: d.dec as number,
    ...(d.objects !== undefined ? { objects: d.objects as number } : {}),
    builtins: d.builtins as string[],
  };
}

export function firstErrorFrom(fe: Json): FirstError {
  return {
    file: fe.file as string,
    ...(fe.line !== undefined ? { line: fe.line as number } : {}),
    ...(fe.column !== undefined ? { column: fe.column as number } : {}),
    message: fe.message as string,
    kind: fe.kind as FirstError['kind'],
    logLine: fe.log_line as number,
    context: fe.context as string[],
  };
}

function fromVersion2(v: Json): BuildRecord {
  const m = v.measurement as Json | undefined;
  const d = v.diagnostics as Json;
  const toggle = v.toggle as Json;
  return {
    schema: RECORD_SCHEMA,
    key: v.key as string,
    inputs: inputsFrom(v.inputs as Json),
    config: v.config as string,
    toggle: { name: toggle.name as string, ...(toggle.description !== undefined ? { description: toggle.description as string } : {}) },
    patches: (v.patches as Json[]).map((p) => ({
      name: p.name as string,
      sha256: p.sha256 as string,
      ...(p.strip !== undefined ? { strip: p.strip as number } : {}),
      ...(p.reverse !== undefined ? { reverse: p.reverse as boolean } : {}),
    })),
    ...(v.source_tree !== undefined ? { sourceTree: v.source_tree as string } : {}),
    ...(v.base_version !== undefined ? { baseVersion: v.base_version as string } : {}),
    status: v.status as BuildRecord['status'],
    hermetic: v.hermetic as boolean,
    ...(typeof v.image_digest === 'string' ? { imageDigest: v.image_digest } : {}),
    startedAt: v.started_at as string,
    finishedAt: v.finished_at as string,
    durationsMs: v.durations_ms as Record<string, number>,
    ...(m
      ? {
          measurement: {
            size: m.size as BerkeleySize,
            files: m.files as Record<string, { path: string; bytes: number }>,
            sha256: m.sha256 as Record<string, string>,
            dirs: (m.dirs as Json[]).map(dirFrom),
            ...(m.subdirs ? { subdirs: (m.subdirs as Json[]).map(dirFrom) } : {}),
            tools: m.tools as { size: string; nm: string },
          },
        }
      : {}),
    diagnostics: { warnings: d.warnings as number, errors: d.errors as number, ...(d.first_error ? { firstError: firstErrorFrom(d.first_error as Json) } : {}) },
    ...(isObject(v.ccache) ? { ccache: v.ccache as unknown as NonNullable<BuildRecord['ccache']> } : {}),
    ...(v.log !== undefined ? { log: v.log as string } : {}),
    artifacts: v.artifacts as Partial<Record<ArtifactName, StoredArtifact>>,
    ...(v.image_name !== undefined ? { imageName: v.image_name as string } : {}),
    ...(v.skipped !== undefined ? { skipped: v.skipped as Partial<Record<ArtifactName, string>> } : {}),
  };
}

/** Version 1 was the in-memory record itself: only its version changes. */
function fromVersion1(v: Json): BuildRecord {
  const { schema: _s, ...rest } = v;
  return { ...(rest as unknown as Omit<BuildRecord, 'schema'>), schema: RECORD_SCHEMA };
}

/** The record in a metadata.json, or undefined (not a record of `key`, or of a version this tiny does not know). */
export function recordFromJson(v: unknown, key: string): BuildRecord | undefined {
  if (!isObject(v)) return undefined;
  let r: BuildRecord;
  if (v.schema_version === RECORD_SCHEMA_VERSION) {
    if (!isObject(v.inputs) || !isObject(v.diagnostics) || !isObject(v.toggle) || !Array.isArray(v.patches)) return undefined;
    r = fromVersion2(v);
  } else if (v.schema === 1 && v.schema_version === undefined) {
    r = fromVersion1(v);
  } else return undefined;
  const ok =
    r.key === key &&
    (r.status === 'ok' || r.status === 'failed') &&
    isObject(r.inputs) &&
    isObject(r.artifacts) &&
    typeof r.config === 'string' &&
    Array.isArray(r.inputs.patches) &&
    isObject(r.inputs.makeVariables) &&
    isObject(r.inputs.env);
  return ok ? r : undefined;
}
