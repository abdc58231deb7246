// The runtime half of the report: what each patch does to the memory a booted kernel leaves
// free, beside what it does to the image. The boots are those `tiny build --boot` (or `tiny
// boot`) kept in each toggle's record directory; pure functions of them (the CLI reads them).
//
// Boots compare only under the same conditions: the same memory, limit and root, and the
// same question (to init, or serving HTTP). The report takes the condition most toggles of the
// run were booted under, and each toggle's latest boot under it.

import type { KmallocCensus } from '../boot/kmalloc.js';

/** One boot as the report needs it (a structural subset of src/boot's BootResult). */
export interface RuntimeBoot {
  memKiB: number;
  limit: 'machine' | 'kernel';
  root: { sha256: string };
  booted: boolean;
  memTotalKiB?: number;
  memFreeKiB?: number;
  reservedKiB?: number;
  reservedFrom?: 'console' | 'mem-total';
  toInitMs?: number;
  http?: { served: boolean; memFreeKiB?: number; roundTripsMs: number[] };
  at: string;
}

/** An allocation census (tiny boot --kmalloc): boot's own type, as it keeps it with the record. */
export type RuntimeCensus = KmallocCensus;

export interface RuntimeToggleInput {
  toggle: string;
  /** The boot image's bytes, when measured. */
  imageBytes?: number;
  boots: RuntimeBoot[];
  /** The toggle's allocation census, when one was taken. */
  census?: { census: RuntimeCensus; memKiB: number; limit: 'machine' | 'kernel'; http: boolean; at: string };
}

export interface RuntimeToggle {
  toggle: string;
  imageBytes?: number;
  memTotalKiB?: number;
  memFreeKiB?: number;
  /** MemFree on the page served (HTTP boots). */
  servingFreeKiB?: number;
  reservedKiB?: number;
  reservedFrom?: 'console' | 'mem-total';
  toInitMs?: number;
  roundTripMs?: number;
}

export interface RuntimeRow {
  /** A patch (flip:<patch>), one of the configuration's own choices (config:<SYMBOL>), or all-off. */
  name: string;
  toggle: string;
  /** queue - toggle: image bytes the flip saves (negative: it grows). */
  imageSaved?: number;
  /** toggle - queue: kB of MemFree the flip gains at init (negative: it costs memory). */
  freeSavedKiB?: number;
  /** The same while serving HTTP. */
  servingFreeSavedKiB?: number;
  /** queue - toggle: kB less memory the kernel reserves. */
  reservedSavedKiB?: number;
}

export interface RuntimeReport {
  /** The condition compared: e.g. "-m 16M, serving HTTP". */
  condition: { memKiB: number; limit: 'machine' | 'kernel'; http: boolean };
  toggles: RuntimeToggle[];
  rows: RuntimeRow[];
  /** Toggles of the run without a boot under the condition. */
  notBooted: string[];
  /** Allocation censuses of the run's toggles (tiny boot --kmalloc), in run order. */
  censuses: { toggle: string; memKiB: number; limit: 'machine' | 'kernel'; http: boolean; census: RuntimeCensus }[];
}

const conditionKey = (b: RuntimeBoot) => `${b.limit}:${b.memKiB}:${b.http ? 'http' : 'init'}:${b.root.sha256}`;
const passed = (b: RuntimeBoot) => b.booted && (b.http === undefined || b.http.served) && b.memFreeKiB !== undefined;

/** The runtime comparison of a run, or undefined when no toggle has a boot that passed. */
export function buildRuntimeReport(toggles: RuntimeToggleInput[]): RuntimeReport | undefined {
  // The condition most toggles were booted under (ties: the one with the latest boot).
  const count = new Map<string, { n: number; latest: string; sample: RuntimeBoot }>();
  for (const t of toggles) {
    const seen = new Set<string>();
    for (const b of t.boots.filter(passed)) {
      const k = conditionKey(b);
      const c = count.get(k) ?? { n: 0, latest: '', sample: b };
      if (!seen.has(k)) c.n++;
      seen.add(k);
      if (b.at > c.latest) c.latest = b.at;
      count.set(k, c);
    }
  }
  const best = [...count.entries()].sort((a, b) => b[1].n - a[1].n || (a[1].latest < b[1].latest ? 1 : -1))[0];
  const censuses = toggles.flatMap((t) => (t.census ? [{ toggle: t.toggle, memKiB: t.census.memKiB, limit: t.census.limit, http: t.census.http, census: t.census.census }] : []));
  if (!best) return censuses.length ? { condition: { memKiB: censuses[0]!.memKiB, limit: censuses[0]!.limit, http: censuses[0]!.http }, toggles: [], rows: [], notBooted: [], censuses } : undefined;
  const key = best[0];
  const sample = best[1].sample;
  const rows: RuntimeToggle[] = [];
  const notBooted: string[] = [];
  for (const t of toggles) {
    const b = t.boots.filter((x) => passed(x) && conditionKey(x) === key).sort((x, y) => (x.at < y.at ? 1 : -1))[0];
    if (!b) {
      notBooted.push(t.toggle);
      continue;
    }
    rows.push({
      toggle: t.toggle,
      ...(t.imageBytes !== undefined ? { imageBytes: t.imageBytes } : {}),
      ...(b.memTotalKiB !== undefined ? { memTotalKiB: b.memTotalKiB } : {}),
      ...(b.memFreeKiB !== undefined ? { memFreeKiB: b.memFreeKiB } : {}),
      ...(b.http?.memFreeKiB !== undefined ? { servingFreeKiB: b.http.memFreeKiB } : {}),
      ...(b.reservedKiB !== undefined ? { reservedKiB: b.reservedKiB } : {}),
      ...(b.reservedFrom ? { reservedFrom: b.reservedFrom } : {}),
      ...(b.toInitMs !== undefined ? { toInitMs: b.toInitMs } : {}),
      ...(b.http?.roundTripsMs.length ? { roundTripMs: b.http.roundTripsMs.at(-1)! } : {}),
    });
  }
  const queue = rows.find((r) => r.toggle === 'queue');
  const diff = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b);
  const compared: RuntimeRow[] = [];
  if (queue) {
    for (const r of rows) {
      const name = r.toggle.startsWith('flip:') ? r.toggle.slice(5) : r.toggle.startsWith('config:') || r.toggle === 'all-off' ? r.toggle : undefined;
      if (!name) continue;
      const row: RuntimeRow = { name, toggle: r.toggle };
      const image = diff(queue.imageBytes, r.imageBytes);
      const free = diff(r.memFreeKiB, queue.memFreeKiB);
      const serving = diff(r.servingFreeKiB, queue.servingFreeKiB);
      const reserved = diff(queue.reservedKiB, r.reservedKiB);
      if (image !== undefined) row.imageSaved = image;
      if (free !== undefined) row.freeSavedKiB = free;
      if (serving !== undefined) row.servingFreeSavedKiB = serving;
      if (reserved !== undefined && queue.reservedFrom === r.reservedFrom) row.reservedSavedKiB = reserved;
      compared.push(row);
    }
  }
  return { condition: { memKiB: sample.memKiB, limit: sample.limit, http: sample.http !== undefined }, toggles: rows, rows: compared, notBooted, censuses };
}

const mem = (kib: number) => (kib % 1024 === 0 ? `${kib / 1024}M` : `${kib}K`);
const n = (v: number | undefined) => (v === undefined ? '-' : v.toLocaleString('en-US'));
const signed = (v: number | undefined) => (v === undefined ? '-' : `${v > 0 ? '+' : ''}${v.toLocaleString('en-US')}`);

/** The census lines: totals, slack %, the top callers by net and by slack. */
export function renderCensusText(toggle: string, where: string, c: RuntimeCensus, top = 10): string[] {
  const pct = c.total ? ((100 * c.slack) / c.total).toFixed(1) : '0.0';
  const lines = [
    `Allocation census of ${toggle} (KMALLOC_ACCOUNTING kernel, ${where}): ${c.total.toLocaleString('en-US')} bytes in ${c.allocs.toLocaleString('en-US')} kmallocs, ${c.frees.toLocaleString('en-US')} frees, ${c.net.toLocaleString('en-US')} net; slack ${c.slack.toLocaleString('en-US')} bytes (${pct}%); ${c.callerCount} callers`,
  ];
  if (c.lostCallers || c.lostAllocs || c.unknownFrees)
    lines.push(`  not counted: ${c.lostCallers} allocs of callers beyond the table, ${c.lostAllocs} untracked allocs, ${c.unknownFrees} frees of unknown blocks`);
  // 2004's /proc/kmalloc columns: numbers right-aligned, the caller last.
  const head = '     total    slack      net  alloc/free  caller';
  const row = (x: RuntimeCensus['callers'][number]) =>
    `  ${String(x.total).padStart(8)} ${String(x.slack).padStart(8)} ${String(x.net).padStart(8)} ${`${x.allocs}/${x.frees}`.padStart(11)}  ${x.caller}`;
  lines.push('', `top ${top} by net bytes:`, head, ...c.callers.slice(0, top).map(row));
  lines.push(
    '',
    `top ${top} by slack:`,
    head,
    ...[...c.callers]
      .sort((a, b) => b.slack - a.slack)
      .slice(0, top)
      .map(row),
  );
  return lines;
}

/** The runtime section of the text report. */
export function renderRuntimeText(r: RuntimeReport): string {
  if (!r.toggles.length)
    return (
      r.censuses
        .flatMap((x) => ['', ...renderCensusText(x.toggle, `${x.limit === 'kernel' ? `mem=${mem(x.memKiB)}` : `-m ${mem(x.memKiB)}`}${x.http ? ', after serving HTTP' : ''}`, x.census)])
        .join('\n') + '\n'
    );
  const c = r.condition;
  const where = `${c.limit === 'kernel' ? `mem=${mem(c.memKiB)}` : `-m ${mem(c.memKiB)}`}${c.http ? ', serving HTTP' : ', to init'}`;
  const lines = [`Runtime: each toggle booted under qemu (${where}); kB of MemFree at init (and while serving), the kernel's reserved memory`, ''];
  const head = ['toggle', 'image', 'MemTotal', 'MemFree', ...(c.http ? ['serving', 'rtt ms'] : []), 'reserved', 'init s'];
  const body = r.toggles.map((t) => [
    t.toggle,
    n(t.imageBytes),
    n(t.memTotalKiB),
    n(t.memFreeKiB),
    ...(c.http ? [n(t.servingFreeKiB), n(t.roundTripMs)] : []),
    `${n(t.reservedKiB)}${t.reservedFrom === 'mem-total' ? '*' : ''}`,
    t.toInitMs === undefined ? '-' : (t.toInitMs / 1000).toFixed(1),
  ]);
  lines.push(...table([head, ...body]));
  if (r.toggles.some((t) => t.reservedFrom === 'mem-total')) lines.push("  * no printk: the memory under test less MemTotal, not the kernel's own count");
  if (r.rows.length) {
    lines.push('', 'Saved per patch against the queue point (image bytes, kB of MemFree; negative: it costs):', '');
    const h2 = ['patch', 'image B', 'MemFree kB', ...(c.http ? ['serving kB'] : []), 'reserved kB'];
    const b2 = r.rows.map((x) => [x.name, signed(x.imageSaved), signed(x.freeSavedKiB), ...(c.http ? [signed(x.servingFreeSavedKiB)] : []), signed(x.reservedSavedKiB)]);
    lines.push(...table([h2, ...b2]));
  }
  if (r.notBooted.length) lines.push('', `not booted under this condition: ${r.notBooted.join(', ')} (tiny build --boot boots every toggle built)`);
  for (const x of r.censuses)
    lines.push('', ...renderCensusText(x.toggle, `${x.limit === 'kernel' ? `mem=${mem(x.memKiB)}` : `-m ${mem(x.memKiB)}`}${x.http ? ', after serving HTTP' : ''}`, x.census));
  return lines.join('\n') + '\n';
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** The runtime section in `tiny report --format json` (schema/output/report.schema.json `runtime`). */
export function runtimeToJson(r: RuntimeReport): Record<string, unknown> {
  const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return {
    condition: { mem_kib: r.condition.memKiB, limit: r.condition.limit, http: r.condition.http },
    toggles: r.toggles.map((t) =>
      defined({
        toggle: t.toggle,
        image_bytes: t.imageBytes,
        mem_total_kib: t.memTotalKiB,
        mem_free_kib: t.memFreeKiB,
        serving_free_kib: t.servingFreeKiB,
        reserved_kib: t.reservedKiB,
        reserved_from: t.reservedFrom,
        to_init_ms: t.toInitMs,
        round_trip_ms: t.roundTripMs,
      }),
    ),
    rows: r.rows.map((x) =>
      defined({ name: x.name, toggle: x.toggle, image_saved: x.imageSaved, free_saved_kib: x.freeSavedKiB, serving_free_saved_kib: x.servingFreeSavedKiB, reserved_saved_kib: x.reservedSavedKiB }),
    ),
    not_booted: [...r.notBooted],
    censuses: r.censuses.map((x) => ({
      toggle: x.toggle,
      mem_kib: x.memKiB,
      limit: x.limit,
      http: x.http,
      total: x.census.total,
      slack: x.census.slack,
      slack_pct: x.census.total ? Math.round((1000 * x.census.slack) / x.census.total) / 10 : 0,
      net: x.census.net,
      allocs: x.census.allocs,
      frees: x.census.frees,
      caller_count: x.census.callerCount,
      top_by_net: x.census.callers.slice(0, 20).map((c) => ({ caller: c.caller, total: c.total, slack: c.slack, net: c.net, allocs: c.allocs, frees: c.frees })),
      top_by_slack: [...x.census.callers]
        .sort((a, b) => b.slack - a.slack)
        .slice(0, 20)
        .map((c) => ({ caller: c.caller, total: c.total, slack: c.slack, net: c.net, allocs: c.allocs, frees: c.frees })),
    })),
  };
}
