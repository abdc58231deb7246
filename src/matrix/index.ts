// The build matrix: which toggles to build for a configuration (plan), building and measuring
// them with reuse of build directories, ccache and the record store (run), progress (listr2),
// the end-of-run table and budgets (report), and rebuilding a record to compare (rebuild).
//
//   const p = await prepareMatrix({ root, config: 'webserver', queueDir, cacheDir });
//   const runner = new MatrixRunner(p.setup, p.plan, { onEvent });
//   const results = await runner.runAll(p.plan.toggles);
//   console.log(renderText(toRows(results), summary, 'text'));

export { planMatrix, displayOrder, onlyToggles, resolveFragment, flipValue, dependents, type Plan, type PlanInput, type Toggle, type ToggleKind } from './plan.js';
export { MatrixRunner, makeGoals, laneDirs, logDir, type MatrixSetup, type ToggleResult, type ToggleEvent, type ToggleState, type ToggleStatus, type RunOptions } from './run.js';
export { prepareMatrix, type PrepareOptions, type Prepared } from './setup.js';
export { hostCompilerId } from '../toolchain/environment.js';
export { MatrixProgress, type ProgressOptions } from './progress.js';
export { toRows, sizeTable, renderText, renderFailures, toJson, countStatus, formatDuration, type ToggleRow, type BuildSummary } from './report.js';
export { findRecord, rebuildRecord, type RebuildResult, type RebuildOptions, type ArtifactComparison } from './rebuild.js';
export { readTimings, writeTimings, readStoredPatch, storePatch, type Timings } from './memo.js';
