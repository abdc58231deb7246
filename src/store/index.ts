// The record store: cache keys, build records (content-addressed, crash-safe), the per-config
// latest-run index and the per-cache build lock.

export { recordKey, canonicalJson, normalizeInputs, KEY_VERSION, type BuildInputs } from './key.js';
export {
  RECORD_SCHEMA,
  type BuildRecord,
  type BuildRecordDraft,
  type RecordMeasurement,
  type StoredArtifact,
  type ArtifactName,
} from './types.js';
export {
  openRecordStore,
  recordDir,
  lookup,
  inspectRecord,
  corruptRecordError,
  save,
  stageArtifacts,
  listRecords,
  keysWithPrefix,
  gcTempDirs,
  readArtifact,
  readSymbols,
  DEFAULT_MAX_VMLINUX_BYTES,
  KEY_RE,
  type RecordStore,
  type SaveArtifacts,
  type SaveOptions,
  type SaveResult,
  type StagedArtifacts,
  type RecordState,
  type RecordFilter,
} from './records.js';
export { recordToJson, recordFromJson, RECORD_SCHEMA_VERSION } from './record-format.js';
export { runIndexPath, writeRunIndex, readRunIndex, runIndexFromJson, RUN_INDEX_SCHEMA_VERSION, latestRun, runInputs, type RunIndex, type RunEntry } from './runs.js';
export { withBuildLock, buildLockPath, type BuildLockOptions } from './lock.js';
