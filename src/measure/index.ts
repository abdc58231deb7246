// Measuring a built kernel: size(1), nm, per-directory sizes, build-log diagnostics and
// bloat-o-meter symbol diffs. measureBuild does the I/O; everything else is pure.

export type { BerkeleySize, DirSize, ArtifactFile, SymbolEntry, Measurement, MeasureTools, FirstError, DiagnosticCounts } from './types.js';
export { parseBerkeley, parseNm, sumSizes, type SizeRow } from './parse.js';
export {
  measureBuild,
  HOST_TOOLS,
  measureToolsFor,
  findImage,
  findBuiltins,
  countLinkedObjects,
  measureDir,
  runSize,
  runNm,
  type MeasureOptions,
} from './measure.js';
export { countDiagnostics } from './diagnostics.js';
export {
  symbolDiff,
  renderSymbolDiff,
  bloatOMeter,
  bloatSizes,
  pyPercent,
  BLOAT_TYPES,
  type SymbolDiff,
  type SymbolChange,
  type BloatMode,
} from './bloat.js';
