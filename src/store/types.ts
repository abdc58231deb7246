// The build record of <cacheDir>/records/<kk>/<key>/, in memory. On disk it is metadata.json,
// in snake_case (record-format.ts, schema/record.schema.json, docs/record.md).

import type { CcacheStats } from '../kbuild/ccache.js';
import type { FirstError, Measurement } from '../measure/types.js';
import type { BuildInputs } from './key.js';

/**
 * The metadata.json version a record in memory is written as (record-format.ts reads older
 * ones too). Bump it, and teach recordFromJson the old one, when metadata.json changes.
 */
export const RECORD_SCHEMA = 2;

/** The measurement as recorded: everything but the symbol table, which has its own file. */
export type RecordMeasurement = Omit<Measurement, 'symbols'>;

/** A file kept in the record directory. */
export interface StoredArtifact {
  /** File name inside the record directory, e.g. vmlinux.gz. */
  file: string;
  /** sha256 (hex) of the original (uncompressed) content. */
  sha256: string;
  /** Size of the original content in bytes. */
  bytes: number;
  /** How `file` is encoded. */
  encoding: 'identity' | 'gzip';
}

/** Names of stored artifacts: vmlinux, image (bzImage/zImage ...), config, System.map, symbols, log. */
export type ArtifactName = 'vmlinux' | 'image' | 'config' | 'System.map' | 'symbols' | 'log';

export interface BuildRecord {
  schema: typeof RECORD_SCHEMA;
  /** recordKey(inputs). */
  key: string;
  inputs: BuildInputs;
  /** Build configuration name (configs/<config>.yaml). */
  config: string;
  /** The toggle this build measured. */
  toggle: { name: string; description?: string };
  /** The patches applied, names with the hashes listed in inputs.patches (descriptive; not part of the key). */
  patches: { name: string; sha256: string; strip?: number; reverse?: boolean }[];
  /** git tree hash of the patched source that was built (lets a rebuild check it recreated the same tree). */
  sourceTree?: string;
  /** The base's version (descriptive). */
  baseVersion?: string;
  status: 'ok' | 'failed';
  /** Built in a pinned container image (not on the host). */
  hermetic: boolean;
  /** The image's manifest digest, when the engine records one (its ID is inputs.toolchain.image). */
  imageDigest?: string;
  /** ISO 8601. */
  startedAt: string;
  finishedAt: string;
  /** Milliseconds per phase, e.g. {tree, config, build, measure}. */
  durationsMs: Record<string, number>;
  /** Absent when the build failed before anything could be measured. */
  measurement?: RecordMeasurement;
  diagnostics: { warnings: number; errors: number; firstError?: FirstError };
  /** The build log inside the record directory (artifacts.log.file), when one was saved. */
  log?: string;
  /** Stored files, by name; `image.name` in the measurement's files is e.g. bzImage. */
  artifacts: Partial<Record<ArtifactName, StoredArtifact>>;
  /** The name of the stored image (bzImage, zImage ...), when one was stored. */
  imageName?: string;
  /** Artifacts not stored, with the reason (e.g. vmlinux over the size cap). */
  skipped?: Partial<Record<ArtifactName, string>>;
  /**
   * The compiler cache this build used (descriptive, not part of the key: ccache cannot change
   * the bytes): the remote storage without credentials, the compiler_check it ran with, and the
   * hits of the build's make (local, or fetched from the remote).
   */
  ccache?: { remote?: string; compiler_check?: string; stats: CcacheStats };
}

/** What the caller fills in; save() adds schema, key, artifacts, log, imageName and skipped. */
export type BuildRecordDraft = Omit<BuildRecord, 'schema' | 'key' | 'artifacts' | 'log' | 'imageName' | 'skipped'> & {
  /** When given, must equal recordKey(inputs). */
  key?: string;
};
