// A table as plain data, rendered as aligned text or as a Markdown table.

export type Align = 'left' | 'right';

export interface Column {
  header: string;
  align?: Align;
}

export interface Table {
  columns: Column[];
  rows: string[][];
}

export type TableFormat = 'text' | 'md';

function pad(s: string, width: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, width - s.length));
  return align === 'right' ? fill + s : s + fill;
}

export function renderTable(t: Table, format: TableFormat): string {
  if (format === 'md') {
    const esc = (s: string) => s.replace(/\|/g, '\\|');
    const head = `| ${t.columns.map((c) => esc(c.header)).join(' | ')} |`;
    const rule = `|${t.columns.map((c) => (c.align === 'right' ? '---:' : '---')).join('|')}|`;
    const body = t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`);
    return [head, rule, ...body].join('\n') + '\n';
  }
  const widths = t.columns.map((c, i) => Math.max(c.header.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((s, i) => pad(s, widths[i]!, t.columns[i]!.align ?? 'left'))
      .join('  ')
      .trimEnd();
  return [line(t.columns.map((c) => c.header)), ...t.rows.map(line)].join('\n') + '\n';
}
