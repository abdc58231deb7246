// Rendering of the inline-cost report: a table (text or Markdown) and JSON.

import { renderTable, type Table } from '../report/table.js';
import type { InlineCost } from './analyse.js';
import type { InlineReport } from './run.js';

const num = (n: number) => n.toLocaleString('en-US');

export function costTable(costs: readonly InlineCost[]): Table {
  return {
    columns: [
      { header: 'function' },
      { header: 'copies', align: 'right' },
      { header: 'bytes/copy', align: 'right' },
      { header: 'min-max', align: 'right' },
      { header: 'total', align: 'right' },
      { header: 'header' },
    ],
    rows: costs.map((c) => [
      c.name,
      String(c.copies),
      num(c.bytesPerCopy),
      c.minBytes === c.maxBytes ? '' : `${num(c.minBytes)}-${num(c.maxBytes)}`,
      num(c.totalBytes),
      c.header ? `${c.header.file}:${c.header.line}${c.candidates > 1 ? ` (+${c.candidates - 1})` : ''}` : '-',
    ]),
  };
}

export function renderInlineReport(r: InlineReport, format: 'text' | 'md', top: number): string {
  const shown = r.costs.slice(0, top);
  const s = r.summary;
  const head =
    `inline cost: ${r.config} ${r.toggle} on ${r.base.version} with ${r.toolchain.name}: ${num(s.objects)} objects built with CFLAGS_KERNEL="${r.makeVariables.CFLAGS_KERNEL}"` +
    `${r.cached ? ' (from the cache)' : ''}\n` +
    `${num(s.functions)} header inline functions have out-of-line copies in 2 or more objects: ${num(s.copies)} copies, ${num(s.totalBytes)} bytes` +
    (shown.length < r.costs.length ? `; the top ${shown.length}:` : ':') +
    '\n';
  let errs = '';
  if (r.makeStatus !== 0 && r.compileErrors === 0 && r.undefinedReferences.length) {
    const names = r.undefinedReferences;
    errs = `\nvmlinux did not link, as expected: ${names.length} gnu89 \`extern inline\` function${names.length === 1 ? '' : 's'} without an out-of-line body (${names.slice(0, 6).join(', ')}${names.length > 6 ? ', ...' : ''}); every object compiled\n`;
  } else if (r.makeStatus !== 0) {
    errs = `\nmake -k exited ${r.makeStatus} (${r.compileErrors} compiler error${r.compileErrors === 1 ? '' : 's'}${r.firstError ? `; first: ${r.firstError}` : ''}): objects that failed are not counted\n`;
  }
  const un = s.unattributed.functions
    ? `\n${num(s.unattributed.functions)} further names (${num(s.unattributed.totalBytes)} bytes) have copies but no inline definition in a header (same-named static functions, macro-made inlines): not ranked.\n`
    : '';
  const note = '\ncopies: objects holding an out-of-line copy when nothing is inlined; total: their bytes, a measure of what inlining the function everywhere costs.\n';
  if (format === 'md')
    return `${head
      .split('\n')
      .map((l) => (l ? `${l}  ` : l))
      .join('\n')}\n${renderTable(costTable(shown), 'md')}${errs}${un}${note}`;
  return `${head}\n${renderTable(costTable(shown), 'text')}${errs}${un}${note}`;
}

/** The version of `tiny inline-cost --format json` (schema/output/inline-cost.schema.json). */
export const INLINE_OUTPUT_VERSION = 1;

/** `tiny inline-cost --format json`: the measurement build, the summary and the top costs. Absent values are null. */
export function inlineJson(r: InlineReport, top: number): Record<string, unknown> {
  const s = r.summary;
  return {
    schema_version: INLINE_OUTPUT_VERSION,
    config: r.config,
    toggle: r.toggle,
    base: { version: r.base.version, tree: r.base.tree },
    toolchain: { name: r.toolchain.name, image: r.toolchain.image },
    key: r.key,
    make_variables: { ...r.makeVariables },
    make_status: r.makeStatus,
    first_error: r.firstError ?? null,
    errors: r.errors,
    compile_errors: r.compileErrors,
    undefined_references: [...r.undefinedReferences],
    summary: {
      objects: s.objects,
      functions: s.functions,
      copies: s.copies,
      total_bytes: s.totalBytes,
      unattributed: { functions: s.unattributed.functions, total_bytes: s.unattributed.totalBytes },
    },
    top,
    costs: r.costs.slice(0, top).map((c) => ({
      name: c.name,
      copies: c.copies,
      total_bytes: c.totalBytes,
      bytes_per_copy: c.bytesPerCopy,
      min_bytes: c.minBytes,
      max_bytes: c.maxBytes,
      header: c.header ? { file: c.header.file, line: c.header.line } : null,
      candidates: c.candidates,
      objects: [...c.objects],
    })),
    duration_ms: r.durationMs,
    cached: r.cached === true,
  };
}
