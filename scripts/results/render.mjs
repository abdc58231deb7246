// Markdown for docs/results.md and the README's generated blocks, from the records in results/
// (see reduce.mjs). Pure functions: the same records give the same bytes.

// 2004's linux-tiny figures are quoted, not measured here: the web server bzImage of Matt
// Mackall's announcement (gcc 3.x, gzip), and Linux 0.99pl15 for scale.
const LINUX_TINY_2004 = { bzImage: '363K', bytes: 363 * 1024, mem: '2M', note: 'linux-tiny, 2004 (gcc 3.x, gzip)' };
const LINUX_0_99PL15 = { bzImage: '301K', bytes: 301 * 1024 };

export const num = (n) => (n === null || n === undefined ? '' : n.toLocaleString('en-US'));
export const kib = (bytes) => `${Math.round(bytes / 1024)}K`;
const signed = (n) => (n > 0 ? `+${num(n)}` : n === 0 ? '0' : `−${num(-n)}`);
const pct = (x) => `${x.toFixed(2)}%`;
const memK = (kibValue) => (kibValue % 1024 === 0 ? `${kibValue / 1024}M` : `${kibValue}K`);
const date = (iso) => iso.slice(0, 10);
// The builds' own times, from the records: a run that found every toggle already recorded
// takes seconds, and its wall time would say nothing of what building them cost.
const buildMinutes = (report) => Math.round(report.toggles.reduce((a, t) => a + (t.duration_ms ?? 0), 0) / 60000);

function table(header, align, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(align.map((a) => (a === 'r' ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

const toggleOf = (report, name) => report.data.toggles.find((t) => t.toggle === name && t.status === 'ok');

function need(records, file) {
  const r = records[file];
  if (!r) throw new Error(`results/${file} is missing`);
  return r;
}

// The headline: the stock and the tiny web server, with 2004's figure beside them.
function headline(records) {
  const web = need(records, 'report-webserver.json');
  const tiny = need(records, 'report-webserver-tiny.json');
  const webBoot = need(records, 'boot-webserver.json').data;
  const tinyBoot = need(records, 'boot-webserver-tiny.json').data;
  const stock = toggleOf(web, 'base');
  const point = toggleOf(tiny, 'queue');
  const gzip = toggleOf(tiny, 'flip:kernel-xz');
  if (!stock || !point) throw new Error('the reports lack the base or queue toggle: collect them again');
  const served = (b) => b.boot.http?.served === true;
  const bootCells = (b) => [
    b.boot.booted ? `${num(b.boot.mem_free_kib)} kB at mem=${memK(b.boot.mem_kib)}` : `does not boot at mem=${memK(b.boot.mem_kib)}`,
    served(b) ? `${num(b.boot.http.mem_free_kib)} kB (${b.boot.http.requests} requests)` : b.boot.http ? `does not serve: ${b.boot.http.reason}` : '',
    b.min_mem ? `**${memK(b.min_mem.min_kib)}**` : '',
  ];
  const sizeCells = (t) => [num(t.sizes.text), num(t.sizes.data), num(t.sizes.bss), num(t.sizes.dec)];
  const rows = [['webserver: stock 2.6.9 + compat', ...sizeCells(stock), `${num(stock.sizes.image)} (${kib(stock.sizes.image)})`, ...bootCells(webBoot)]];
  if (gzip) rows.push(['webserver-tiny, gzip', ...sizeCells(gzip), `${num(gzip.sizes.image)} (${kib(gzip.sizes.image)})`, '', '', '']);
  rows.push(['**webserver-tiny**, xz', ...sizeCells(point), `**${num(point.sizes.image)} (${kib(point.sizes.image)})**`, ...bootCells(tinyBoot)]);
  rows.push([LINUX_TINY_2004.note, '', '', '', '', LINUX_TINY_2004.bzImage, `boots with mem=${LINUX_TINY_2004.mem}`, '', '']);
  const minHeader = tinyBoot.min_mem?.serves_http ? 'smallest mem= that serves HTTP' : 'smallest mem= that boots';
  const t = table(['', 'text', 'data', 'bss', 'dec', 'bzImage', 'MemFree when init runs', 'MemFree while serving HTTP', minHeader], ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'], rows);

  const budget = tiny.data.budgets.find((b) => b.name === 'bzImage');
  const saved = stock.sizes.image - point.sizes.image;
  const lines = [
    t,
    '',
    `The tiny web server's bzImage is ${num(point.sizes.image)} bytes, ${kib(saved)} (${pct((100 * saved) / stock.sizes.image)}) smaller than the stock web server (\`configs/webserver.yaml\`: the same hardware and services, every option at its default)` +
      (budget ? `; its budget is ${budget.ok ? 'met' : '**exceeded**'} (${budget.message}).` : '.'),
  ];
  const underOld = LINUX_0_99PL15.bytes - point.sizes.image;
  lines.push(`Linux 0.99pl15's ${LINUX_0_99PL15.bzImage} (${num(LINUX_0_99PL15.bytes)} bytes) is ${underOld >= 0 ? `beaten by ${num(underOld)} bytes` : `**${num(-underOld)} bytes away**`} with xz.`);
  if (gzip) {
    const over = gzip.sizes.image - LINUX_TINY_2004.bytes;
    lines.push(
      `With gzip, 2004's format, it is ${num(gzip.sizes.image)} bytes (${kib(gzip.sizes.image)}), ${over > 0 ? `${kib(over)} over` : `${kib(-over)} under`} ${LINUX_TINY_2004.bzImage}; xz is worth ${kib(gzip.sizes.image - point.sizes.image)}.`,
    );
  }
  if (tinyBoot.min_mem && webBoot.min_mem) {
    const verb = (b) => (served(b) && b.min_mem.serves_http ? 'serves HTTP' : 'boots');
    lines.push(
      `It ${verb(tinyBoot)} with mem=${memK(tinyBoot.boot.mem_kib)} (${num(tinyBoot.boot.mem_free_kib)} kB free when init runs) and down to mem=${memK(tinyBoot.min_mem.min_kib)}; the stock kernel needs mem=${memK(webBoot.min_mem.min_kib)}.` +
        (served(tinyBoot) ? ` Serving means the libc-free boot probe brought eth0 up and answered HTTP GETs that the host fetched through a loopback port (\`tiny boot --http\`).` : ''),
    );
  }
  lines.push(`Measured ${date(tiny.collected_at)} (${provenanceLink()}).`);
  return lines.join('\n');
}

const provenanceLink = () => 'commands and inputs: [docs/results.md](docs/results.md#provenance)';

// What each patch saves in the stock web server: the options at their defaults, each turned off.
function patchSavings(records) {
  const web = need(records, 'report-webserver.json').data;
  const rows = [];
  for (const p of web.patches) {
    if (!p.flip?.available) continue;
    const s = p.flip.saved;
    rows.push([String(p.position), p.name, num(s.text), num(s.data), num(s.bss), num(s.dec), num(s.image), pct(p.flip.saved_pct.dec), num(p.flip.cumulative.dec), pct(p.flip.cumulative_pct.dec)]);
  }
  const i = web.interactions;
  const sizes = (s) => (s ? [num(s.text), num(s.data), num(s.bss), num(s.dec), num(s.image)] : ['', '', '', '', '']);
  const negate = (s) => s && Object.fromEntries(Object.entries(s).map(([k, v]) => [k, -v]));
  const allOffSaved = web.all_off?.available ? negate(web.all_off.change) : null;
  rows.push(['', 'sum of singles', ...sizes(i.sum_of_singles), '', '', '']);
  if (allOffSaved) rows.push(['', 'all-off (measured)', ...sizes(allOffSaved), '', '', '']);
  if (i.difference) rows.push(['', 'interaction (sum − all-off)', ...Object.values(i.difference).map(signed), '', '', '']);
  const base = web.base_sizes;
  const queue = web.toggles.find((t) => t.toggle === 'queue');
  const noop = web.noop?.change;
  const runInfo = `${web.toggles.length} toggles, ${web.failed.length} failed, ${buildMinutes(web)} min of builds`;
  return [
    `\`configs/webserver.yaml\`: allnoconfig + IDE on PIIX, ext2, TCP/IP, NE2000 PCI, serial console, /proc; every queue option at its default (on). Bytes saved by turning each option off alone (\`queue − flip:<patch>\`), % of the base (dec ${num(base.dec)}) and cumulative along the series. One run: ${runInfo}.`,
    '',
    table(['#', 'patch', 'text', 'data', 'bss', 'dec', 'bzImage', '% of base', 'cumulative', 'cum. %'], ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'], rows),
    '',
    noop && queue
      ? `At the defaults the queue costs ${noop.dec === 0 ? 'nothing in vmlinux' : `${signed(noop.dec)} bytes of dec`}: the queue point is dec ${num(queue.sizes.dec)} against the base's ${num(base.dec)}, bzImage ${signed(noop.image)} bytes.`
      : '',
  ].join('\n');
}

// Where the kilobytes went: webserver-tiny's choices, each turned back on alone.
function tinyCosts(records) {
  const tiny = need(records, 'report-webserver-tiny.json').data;
  const items = [];
  const na = [];
  for (const p of tiny.patches) {
    if (!p.flip) continue;
    if (!p.flip.available) na.push(`flip:${p.name}`);
    else items.push({ name: `flip:${p.name}`, change: p.flip.change });
  }
  for (const c of tiny.config_flips) {
    if (!c.available) na.push(`config:${c.symbol}`);
    else items.push({ name: `config:${c.symbol}`, change: c.change });
  }
  items.sort((a, b) => b.change.image - a.change.image || b.change.dec - a.change.dec || a.name.localeCompare(b.name));
  const point = toggleOf({ data: tiny }, 'queue');
  const rows = items.map((x) => [`\`${x.name}\``, signed(x.change.dec), signed(x.change.image)]);
  return [
    `\`configs/webserver-tiny.yaml\`: the web server with every queue option off and 2.6.9's own options off where the appliance does without them. What each choice costs when turned back on alone, against the queue point (dec ${num(point.sizes.dec)}, bzImage ${num(point.sizes.image)}): \`flip:<patch>\` for the queue's options, \`config:<SYMBOL>\` for the configuration's own. One run: ${tiny.toggles.length} toggles, ${tiny.failed.length} failed, ${buildMinutes(tiny)} min of builds. Largest bzImage cost first:`,
    '',
    table(['toggle: turned back on alone', 'dec', 'bzImage'], ['l', 'r', 'r'], rows),
    na.length ? `\nNot applicable to this configuration (their option depends on something it turns off; nothing built): ${na.map((n) => `\`${n}\``).join(', ')}.` : '',
  ].join('\n');
}

// What is left: the tiny kernel per directory.
function whatIsLeft(records) {
  const tiny = need(records, 'report-webserver-tiny.json').data;
  const point = toggleOf({ data: tiny }, 'queue');
  const top = tiny.dirs.filter((d) => d.queue).sort((a, b) => b.queue.dec - a.queue.dec);
  const topLine = top.map((d) => `${d.dir} ${num(d.queue.dec)}`).join(', ');
  const sub = tiny.subdirs ? tiny.subdirs.rows.slice().sort((a, b) => b.dec - a.dec) : [];
  const rows = sub.map((r) => [r.dir, num(r.text), num(r.data), num(r.bss), num(r.dec), pct((100 * r.dec) / point.sizes.dec)]);
  return [
    `The ${num(point.sizes.dec)} bytes (dec) of the tiny kernel, per top-level directory: ${topLine}. One level down (the files a directory links itself; the rest of a top-level directory is its own files):`,
    '',
    table(['directory', 'text', 'data', 'bss', 'dec', '% of vmlinux'], ['l', 'r', 'r', 'r', 'r', 'r'], rows),
  ].join('\n');
}

// Memory at run time: every toggle of the tiny matrix booted (boot: in the configuration).
function runtime(records) {
  const tiny = need(records, 'report-webserver-tiny.json').data;
  const rt = tiny.runtime;
  if (!rt?.rows.length) return 'No boots in the record of the webserver-tiny run (its configuration boots every toggle: collect it again).';
  const c = rt.condition;
  // A row is what the toggle saves against the queue point; the queue point's own choice (this
  // configuration turns each off) saves the opposite.
  const rows = rt.rows
    .filter((x) => x.toggle !== 'all-off')
    .map((x) => ({ toggle: x.toggle, image: -x.image_saved, free: -x.free_saved_kib, serving: x.serving_free_saved_kib === null ? null : -x.serving_free_saved_kib }))
    .sort((a, b) => b.free - a.free || b.image - a.image || a.toggle.localeCompare(b.toggle))
    .map((x) => [`\`${x.toggle}\``, signed(x.image), signed(x.free), x.serving === null ? '' : signed(x.serving)]);
  return [
    `Every toggle of the webserver-tiny run booted at ${c.limit === 'kernel' ? 'mem=' : '-m '}${memK(c.mem_kib)}${c.http ? ', serving HTTP' : ''}. What this configuration's choice saves against each toggle, which turns that choice back on: bytes of bzImage and kB of MemFree, at init and while serving, most memory first. A choice that saves image but costs memory shows as such (\`full-stacks\`: 4 KB stacks and IRQ stacks).`,
    '',
    table(['the choice (toggle turning it back on)', 'bzImage bytes saved', 'MemFree kB saved', 'MemFree kB saved while serving'], ['l', 'r', 'r', 'r'], rows),
    rt.not_booted.length ? `\nNot booted: ${rt.not_booted.map((n) => `\`${typeof n === 'string' ? n : n.toggle}\``).join(', ')}.` : '',
    census(rt.censuses ?? []),
  ].join('\n');
}

// 2004's /proc/kmalloc: who holds the kernel's kmalloc memory once init runs.
function census(censuses) {
  const c = censuses.find((x) => x.toggle === 'queue') ?? censuses[0];
  if (!c) return '';
  const where = `${c.limit === 'kernel' ? 'mem=' : '-m '}${memK(c.mem_kib)}`;
  const rows = c.top_by_net.map((x) => [`\`${x.caller}\``, num(x.net), num(x.slack), num(x.allocs), num(x.frees)]);
  return [
    '',
    `### Allocation census`,
    '',
    `The queue point's \`kmalloc-accounting\` variant (\`tiny boot --kmalloc\`) booted at ${where}, /proc/kmalloc read by the boot probe when init runs: ${num(c.total)} bytes in ${num(c.allocs)} kmallocs (${num(c.frees)} freed) from ${num(c.caller_count)} callers, ${num(c.net)} bytes still held, ${num(c.slack)} bytes of slack (${c.slack_pct}%). The largest holders:`,
    '',
    table(['caller', 'bytes held', 'slack', 'allocs', 'frees'], ['l', 'r', 'r', 'r', 'r'], rows),
  ].join('\n');
}

function provenance(records) {
  const rows = Object.entries(records)
    .filter(([, r]) => r.commands)
    .map(([file, r]) => {
      const d = r.data;
      const inputs =
        r.kind === 'report'
          ? `tree ${d.inputs.trees.map((t) => t.slice(0, 12)).join(', ')}; ${d.inputs.toolchains.map((t) => `${t.name} ${t.image.slice(7, 19)}`).join(', ')}; ${d.inputs.queue_patches.length} patches applied at the queue point`
          : r.kind === 'boot'
            ? `record ${d.key.slice(0, 12)}, ${d.image.name} ${num(d.image.bytes)} bytes, qemu ${d.boot.qemu}`
            : r.load
              ? `load ${r.load.map((x) => x.toFixed(2)).join(' ')}`
              : '';
      return [`\`results/${file}\``, r.commands.map((c) => `\`${c}\``).join('<br>'), date(r.collected_at), r.commit.slice(0, 12) + (r.commit.endsWith('+changes') ? '+' : ''), inputs];
    });
  return table(['record', 'commands', 'collected', 'commit', 'inputs'], ['l', 'l', 'l', 'l', 'l'], rows);
}

// A benchmark record (bench/*.mjs --record): its legs, min and median of the repeats, and the
// ratios it prints, with the load it ran under.
// A goal such as '>= 1.0' or '<= 1.15' against a ratio's value.
const meets = (r) => {
  const m = /^(>=|<=)\s*([\d.]+)$/.exec(r.goal);
  if (!m) return false;
  return m[1] === '>=' ? r.value >= Number(m[2]) : r.value <= Number(m[2]);
};

function bench(record, title) {
  const d = record.data;
  const seconds = (x) => (x >= 60 ? `${Math.floor(x / 60)}m${String(Math.round(x % 60)).padStart(2, '0')}s` : `${x.toFixed(2)} s`);
  // CPU: the machine's busy time during the leg (bench/record.mjs cpuClock), when recorded.
  const withCpu = d.legs.some((l) => l.cpu_median_s !== undefined);
  const legs = table(
    ['leg', 'runs', 'min', 'median', ...(withCpu ? [`CPU (median${d.cores ? `, ${d.cores} cores` : ''})`] : [])],
    ['l', 'r', 'r', 'r', ...(withCpu ? ['r'] : [])],
    d.legs.map((l) => [l.name, String(l.runs_s.length), seconds(l.min_s), seconds(l.median_s), ...(withCpu ? [l.cpu_median_s !== undefined ? seconds(l.cpu_median_s) : ''] : [])]),
  );
  const ratios = d.ratios.map((r) => `- ${r.name}: **${r.value.toFixed(2)}×**${r.goal ? ` (goal ${r.goal}: ${meets(r) ? 'met' : 'not met'})` : ''}`).join('\n');
  const load = record.load ? `, load ${record.load.map((x) => x.toFixed(2)).join(' ')}` : '';
  const phases = d.phases?.length
    ? [
        '',
        `Where ${d.phases_of ?? 'the last cold run'}'s time went: ${d.phases
          .filter((p) => p.s > 0)
          .map((p) => `${p.name} ${seconds(p.s)}`)
          .join('; ')}.`,
      ]
    : [];
  return [`**${title}** (\`${record.commands[0]}\`, ${date(record.collected_at)}${load}):`, '', legs, '', ratios, ...phases].join('\n');
}

function speed(records) {
  const parts = [];
  if (records['bench-matrix.json']) parts.push(bench(records['bench-matrix.json'], 'The build matrix'));
  if (records['bench-queue-check.json']) parts.push(bench(records['bench-queue-check.json'], 'Queue checks and applies'));
  if (!parts.length) return 'No benchmark record in `results/` yet: `node bench/matrix.mjs --record results/bench-matrix.json`.';
  return parts.join('\n\n');
}

function faults(records) {
  const f = records['faults.json'];
  if (!f) return 'No record of the fault-injection suite in `results/` yet: `node scripts/fault-counts.mjs --record results/faults.json`.';
  const d = f.data;
  return `The fault-injection suite (\`test/faults/\`, ${d.files} files), last recorded ${date(f.collected_at)}: ${d.cases} cases, ${d.survived} faults survived, wrong answers: ${d.wrong}, skipped: ${d.skipped}; ${d.minutes} min.`;
}

// The same configuration on every claimed base: sizes, what the queue takes off, boots.
function bases(records) {
  if (!records['report-bases-webserver-tiny.json']) return 'No record of the other bases in `results/` yet: `npm run results -- --collect --only report-bases-webserver-tiny.json`.';
  const r = records['report-bases-webserver-tiny.json'].data;
  const find = (b, name) => b.toggles.find((t) => t.toggle === name);
  const rows = r.bases.map((b) => {
    const base = find(b, 'base');
    const queue = find(b, 'queue');
    const boot = queue?.boot;
    return [
      b.version,
      base?.size ? num(base.size.dec) : '',
      base?.image ? num(base.image.bytes) : '',
      queue?.size ? num(queue.size.dec) : '',
      queue?.image ? `**${num(queue.image.bytes)} (${kib(queue.image.bytes)})**` : '',
      b.queue_cost !== null ? `${kib(-b.queue_cost)} of dec` : '',
      boot ? (boot.booted ? `${num(boot.mem_free_kib)} kB at mem=${memK(boot.mem_kib)}` : `does not boot at mem=${memK(boot.mem_kib)}: ${boot.failure}`) : 'not booted',
    ];
  });
  const growth = r.growth.filter((g) => g.toggle === 'base').map((g) => `${g.from} → ${g.to}: ${signed(g.size.dec)} bytes of dec (${g.dirs.map((d) => `${d.dir} ${signed(d.delta)}`).join(', ')})`);
  return [
    `\`configs/webserver-tiny.yaml\` on every base the queue claims, one \`tiny build --base V\` each (base, queue, all-off), the queue point booted with \`--http\`:`,
    '',
    table(['base', 'dec without the queue', 'bzImage without the queue', 'dec', 'bzImage', 'the queue takes off', 'MemFree when init runs'], ['l', 'r', 'r', 'r', 'r', 'r', 'r'], rows),
    '',
    `How the kernel without the queue grew from base to base (per symbol: the \`tiny diff\` command in the record): ${growth.join('; ')}.`,
  ].join('\n');
}

export function renderReadmeBlocks(records) {
  return { headline: headline(records), bases: bases(records), speed: speed(records), faults: faults(records) };
}

export function renderResultsPage(records) {
  return [
    '# Results',
    '',
    '<!-- Generated by `npm run results` from results/*.json: do not edit by hand (test/unit/results-pages.test.ts). -->',
    '',
    'Every figure on this page comes from a record in `results/`, made by `npm run results -- --collect` (the builds and',
    'boots are the commands listed under [Provenance](#provenance); cached builds make it seconds) and rendered by',
    '`npm run results`. A test fails when this page or the README disagrees with the records.',
    '',
    '## Stock vs tiny, and 2004',
    '',
    headline(records).replace(provenanceLink(), 'commands and inputs: [Provenance](#provenance)'),
    '',
    '## Three 2.6 bases',
    '',
    bases(records),
    '',
    '## What each patch saves',
    '',
    patchSavings(records),
    '',
    '## Where the kilobytes went',
    '',
    tinyCosts(records),
    '',
    '## Memory at run time',
    '',
    runtime(records),
    '',
    '## What is left',
    '',
    whatIsLeft(records),
    '',
    '## Speed',
    '',
    speed(records),
    '',
    '## Faults',
    '',
    faults(records),
    '',
    '## Provenance',
    '',
    provenance(records),
    '',
  ].join('\n');
}

// Replace the text between `<!-- results:NAME -->` and `<!-- /results:NAME -->` in a page.
export function spliceBlocks(text, blocks, pageName) {
  let out = text;
  for (const [name, body] of Object.entries(blocks)) {
    const open = `<!-- results:${name} (generated by npm run results) -->\n`;
    const close = `<!-- /results:${name} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start < 0 || end < start) throw new Error(`${pageName} has no block ${open.trim()} … ${close}: add both markers where the block goes`);
    out = `${out.slice(0, start + open.length)}${body}\n${out.slice(end)}`;
  }
  return out;
}
