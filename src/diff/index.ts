// Symbol diffs between two kernels: bloat-o-meter's semantics and text (src/measure/bloat.ts),
// its sections, a rename-aware mode, and where the two symbol tables come from.

export { COMPILER_SUFFIXES, symbolStem, matchRenames, renameAwareDiff, changeLabel, type RenameChange, type RenameAwareDiff } from './rename.js';
export {
  diffSymbols,
  sectionsFor,
  percentText,
  renderDiffText,
  renderDiffMarkdown,
  diffJson,
  type DiffSection,
  type DiffOptions,
  type DiffSide,
} from './diff.js';
export { resolveSide, type ResolvedSide, type ResolveOptions } from './sources.js';
