// `tiny report --bases`: one configuration on several bases side by side. For each base the
// latest record of each toggle (base, queue, all-off, flips, withouts) with its sizes and its
// latest boot; per patch, what it saves on each base (queue - flip:<patch>) and its no-op cost
// (queue - without:<patch>) where those toggles were built; and how the kernel grew from one
// base to the next (the base toggle: the release itself with only the patches the toolchain
// needs), in total and per directory, with the `tiny diff` command that lists it per symbol.
// Pure: the records come in as plain data (bases-load.ts reads them).

import type { BuildRecord } from '../store/types.js';
import { renderTable, type Align } from './table.js';

export const BASES_REPORT_SCHEMA_VERSION = 1;

/** The newest boot of a record, as `tiny boot` stored it (the CLI reads it from src/boot). */
export interface BootSummary {
  memKiB: number;
  booted: boolean;
  memTotalKiB?: number;
  memFreeKiB?: number;
  failure?: string;
}

export interface BaseRecords {
  version: string;
  /** The tree the queue pins for this base (records of other trees are not used). */
  tree?: string;
  /** The newest record per toggle name, with the newest boot of it (if any). */
  toggles: Array<{ toggle: string; record: BuildRecord; boot?: BootSummary }>;
  /** The queue's patches meant for this base, in series order (names). */
  patches: string[];
}

export interface BasesInput {
  config: string;
  bases: BaseRecords[];
}

export interface ToggleSizes {
  toggle: string;
  key: string;
  status: 'ok' | 'failed';
  finishedAt: string;
  text?: number;
  data?: number;
  bss?: number;
  dec?: number;
  vmlinux?: number;
  image?: number;
  imageName?: string;
  firstError?: string;
  boot?: BootSummary;
}

export interface BaseColumn {
  version: string;
  tree?: string;
  toggles: ToggleSizes[];
  /** queue - base (dec): what the queue costs with every option at its default. */
  queueCost?: number;
  /** queue - all-off (dec): what turning every option off saves. */
  allOffSaves?: number;
}

export interface PatchRow {
  patch: string;
  /** Per base, in the order of `bases`: 'n/a' when the patch is not meant for that base. */
  cells: Array<{ version: string; meant: boolean; saves?: number; noopCost?: number }>;
}

export interface GrowthStep {
  from: string;
  to: string;
  toggle: string;
  /** dec of `to` minus dec of `from`. */
  dec: number;
  text: number;
  data: number;
  bss: number;
  image?: number;
  /** Per top-level directory, largest change first; directories unchanged are left out. */
  dirs: Array<{ dir: string; from: number; to: number; delta: number }>;
  /** The command that lists the change per symbol (bloat-o-meter semantics). */
  diffCommand: string;
}

export interface BasesReport {
  config: string;
  bases: BaseColumn[];
  patches: PatchRow[];
  growth: GrowthStep[];
}

const ORDER = (t: string): number => (t === 'base' ? 0 : t === 'queue' ? 1 : t === 'all-off' ? 2 : t.startsWith('flip:') ? 3 : 4);

function sizesOf(t: BaseRecords['toggles'][number]): ToggleSizes {
  const r = t.record;
  const m = r.status === 'ok' ? r.measurement : undefined;
  const imageName = r.imageName ?? Object.keys(m?.files ?? {}).find((n) => n !== 'vmlinux' && n !== 'System.map' && n !== '.config');
  const out: ToggleSizes = { toggle: t.toggle, key: r.key, status: r.status, finishedAt: r.finishedAt };
  if (m) {
    Object.assign(out, { text: m.size.text, data: m.size.data, bss: m.size.bss, dec: m.size.dec });
    if (m.files.vmlinux) out.vmlinux = m.files.vmlinux.bytes;
    if (imageName && m.files[imageName]) Object.assign(out, { image: m.files[imageName]!.bytes, imageName });
  }
  const fe = r.diagnostics.firstError;
  if (r.status === 'failed' && fe) out.firstError = `${fe.file}${fe.line ? `:${fe.line}` : ''}: ${fe.message}`;
  if (t.boot) out.boot = { ...t.boot };
  return out;
}

export function buildBasesReport(input: BasesInput): BasesReport {
  const bases: BaseColumn[] = input.bases.map((b) => {
    const toggles = b.toggles.map(sizesOf).sort((x, y) => ORDER(x.toggle) - ORDER(y.toggle) || (x.toggle < y.toggle ? -1 : 1));
    const dec = (name: string) => toggles.find((t) => t.toggle === name)?.dec;
    const [base, queue, allOff] = [dec('base'), dec('queue'), dec('all-off')];
    return {
      version: b.version,
      ...(b.tree ? { tree: b.tree } : {}),
      toggles,
      ...(base !== undefined && queue !== undefined ? { queueCost: queue - base } : {}),
      ...(queue !== undefined && allOff !== undefined ? { allOffSaves: queue - allOff } : {}),
    };
  });

  const names: string[] = [];
  for (const b of input.bases) for (const p of b.patches) if (!names.includes(p)) names.push(p);
  const patches: PatchRow[] = names.map((patch) => ({
    patch,
    cells: input.bases.map((b, i) => {
      const meant = b.patches.includes(patch);
      const col = bases[i]!;
      const dec = (name: string) => col.toggles.find((t) => t.toggle === name)?.dec;
      const queue = dec('queue');
      const flip = dec(`flip:${patch}`);
      const without = dec(`without:${patch}`);
      return {
        version: b.version,
        meant,
        ...(meant && queue !== undefined && flip !== undefined ? { saves: queue - flip } : {}),
        ...(meant && queue !== undefined && without !== undefined ? { noopCost: queue - without } : {}),
      };
    }),
  }));

  const growth: GrowthStep[] = [];
  for (let i = 1; i < bases.length; i++) {
    for (const toggle of ['base', 'queue', 'all-off']) {
      const from = bases[i - 1]!.toggles.find((t) => t.toggle === toggle && t.dec !== undefined);
      const to = bases[i]!.toggles.find((t) => t.toggle === toggle && t.dec !== undefined);
      if (!from || !to) continue;
      const fromRec = input.bases[i - 1]!.toggles.find((t) => t.toggle === toggle)!.record;
      const toRec = input.bases[i]!.toggles.find((t) => t.toggle === toggle)!.record;
      const fromDirs = new Map((fromRec.measurement?.dirs ?? []).map((d) => [d.dir, d.dec]));
      const toDirs = new Map((toRec.measurement?.dirs ?? []).map((d) => [d.dir, d.dec]));
      const dirs = [...new Set([...fromDirs.keys(), ...toDirs.keys()])]
        .map((dir) => ({ dir, from: fromDirs.get(dir) ?? 0, to: toDirs.get(dir) ?? 0 }))
        .map((d) => ({ ...d, delta: d.to - d.from }))
        .filter((d) => d.delta !== 0)
        .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || (a.dir < b.dir ? -1 : 1));
      growth.push({
        from: bases[i - 1]!.version,
        to: bases[i]!.version,
        toggle,
        dec: to.dec! - from.dec!,
        text: to.text! - from.text!,
        data: to.data! - from.data!,
        bss: to.bss! - from.bss!,
        ...(from.image !== undefined && to.image !== undefined ? { image: to.image - from.image } : {}),
        dirs,
        diffCommand: `tiny diff ${from.key.slice(0, 12)} ${to.key.slice(0, 12)}`,
      });
    }
  }
  return { config: input.config, bases, patches, growth };
}

/** An aligned text table; align is one letter per column (l or r). */
function formatTable(rows: string[][], opts: { align: string }): string {
  const align = (i: number): Align => (opts.align[i] === 'r' ? 'right' : 'left');
  return renderTable({ columns: rows[0]!.map((header, i) => ({ header, align: align(i) })), rows: rows.slice(1) }, 'text').trimEnd();
}

const num = (n: number | undefined): string => (n === undefined ? '-' : n.toLocaleString('en-US'));
const signed = (n: number | undefined): string => (n === undefined ? '-' : n > 0 ? `+${num(n)}` : n < 0 ? `-${num(-n)}` : '0');

function bootCell(t: ToggleSizes): string {
  if (!t.boot) return '-';
  if (!t.boot.booted) return `no (${t.boot.memKiB}K${t.boot.failure ? `: ${t.boot.failure}` : ''})`;
  return `${t.boot.memKiB}K, free ${t.boot.memFreeKiB ?? '?'}K`;
}

export function renderBasesText(r: BasesReport, opts: { dirs?: number } = {}): string {
  const out: string[] = [`tiny report --bases: ${r.config} on ${r.bases.map((b) => b.version).join(', ')}`, ''];
  const rows: string[][] = [['base', 'toggle', 'text', 'data', 'bss', 'dec', 'image', 'boot', 'record']];
  for (const b of r.bases) {
    if (!b.toggles.length) rows.push([b.version, '(no build recorded)', '', '', '', '', '', '', '']);
    for (const t of b.toggles) {
      rows.push([
        b.version,
        t.toggle,
        ...(t.status === 'ok' ? [num(t.text), num(t.data), num(t.bss), num(t.dec), num(t.image)] : ['FAILED', '', '', '', '']),
        t.status === 'ok' ? bootCell(t) : (t.firstError ?? ''),
        t.key.slice(0, 12),
      ]);
    }
  }
  out.push(formatTable(rows, { align: 'llrrrrrll' }), '');
  out.push('per base (dec):');
  for (const b of r.bases) {
    out.push(`  ${b.version}: queue - base ${signed(b.queueCost)}, all-off saves ${num(b.allOffSaves)}`);
  }
  const built = r.patches.some((p) => p.cells.some((c) => c.saves !== undefined || c.noopCost !== undefined));
  out.push('', `bytes saved per patch (queue - flip:<patch>, dec; n/a: not meant for that base${built ? '' : '; no flip toggle was built: tiny build --base V --only flip:<patch>'})`);
  const prow: string[][] = [['patch', ...r.bases.map((b) => b.version)]];
  for (const p of r.patches) prow.push([p.patch, ...p.cells.map((c) => (!c.meant ? 'n/a' : c.saves !== undefined ? num(c.saves) : '-'))]);
  out.push(formatTable(prow, { align: 'l' + 'r'.repeat(r.bases.length) }));
  for (const g of r.growth) {
    out.push(
      '',
      `${g.from} -> ${g.to} (${g.toggle}): dec ${signed(g.dec)} (text ${signed(g.text)}, data ${signed(g.data)}, bss ${signed(g.bss)})${g.image !== undefined ? `, image ${signed(g.image)}` : ''}`,
    );
    const dirs = g.dirs.slice(0, opts.dirs ?? 12);
    if (dirs.length) {
      const drows: string[][] = [['  dir', g.from, g.to, 'delta']];
      for (const d of dirs) drows.push([`  ${d.dir}`, num(d.from), num(d.to), signed(d.delta)]);
      out.push(formatTable(drows, { align: 'lrrr' }));
    }
    out.push(`  per symbol: ${g.diffCommand}`);
  }
  return out.join('\n') + '\n';
}

/** The JSON document (schema/output/report-bases.schema.json): snake_case, every key always there. */
export function basesReportDocument(r: BasesReport): Record<string, unknown> {
  const n = (v: number | undefined): number | null => (v === undefined ? null : v);
  return {
    schema_version: BASES_REPORT_SCHEMA_VERSION,
    config: r.config,
    bases: r.bases.map((b) => ({
      version: b.version,
      tree: b.tree ?? null,
      queue_cost: n(b.queueCost),
      all_off_saves: n(b.allOffSaves),
      toggles: b.toggles.map((t) => ({
        toggle: t.toggle,
        key: t.key,
        status: t.status,
        finished_at: t.finishedAt,
        size: t.dec !== undefined ? { text: t.text!, data: t.data!, bss: t.bss!, dec: t.dec } : null,
        vmlinux_bytes: n(t.vmlinux),
        image: t.image !== undefined ? { name: t.imageName ?? null, bytes: t.image } : null,
        first_error: t.firstError ?? null,
        boot: t.boot ? { mem_kib: t.boot.memKiB, booted: t.boot.booted, mem_total_kib: n(t.boot.memTotalKiB), mem_free_kib: n(t.boot.memFreeKiB), failure: t.boot.failure ?? null } : null,
      })),
    })),
    patches: r.patches.map((p) => ({
      patch: p.patch,
      bases: p.cells.map((c) => ({ version: c.version, meant: c.meant, saves: n(c.saves), noop_cost: n(c.noopCost) })),
    })),
    growth: r.growth.map((g) => ({
      from: g.from,
      to: g.to,
      toggle: g.toggle,
      size: { text: g.text, data: g.data, bss: g.bss, dec: g.dec },
      image: n(g.image),
      dirs: g.dirs.map((d) => ({ dir: d.dir, from: d.from, to: d.to, delta: d.delta })),
      diff_command: g.diffCommand,
    })),
  };
}
