// The renderers of the size report: JUnit XML (one testcase per toggle, failures for failed
// builds and exceeded budgets, escaping), the SVG charts (ticks, bars carrying their data),
// the self-contained HTML page, and the Markdown summary.

import { describe, expect, it } from 'vitest';
import { renderSizeHtml, waterfallData, dirBars } from '../../src/report/html.js';
import { renderJunit, xmlEscape } from '../../src/report/junit.js';
import { renderSizeMarkdown } from '../../src/report/render-size.js';
import { buildSizeReport, type ReportBudget, type ToggleInput } from '../../src/report/size-report.js';
import { barChartSvg, group, niceTicks, waterfallSvg } from '../../src/report/svg.js';
import type { BuildRecord } from '../../src/store/types.js';

const H = (c: string) => c.repeat(64);

function rec(toggle: string, dec: number | null, dirs: Record<string, number> = {}): ToggleInput {
  const key = H((toggle.length % 10).toString());
  const r: BuildRecord = {
    schema: 2,
    key,
    inputs: {
      baseTree: 'b'.repeat(40),
      patches: [],
      config: H('c'),
      toolchain: { name: 'gcc-12-i386', image: 'sha256:' + H('e') },
      arch: 'i386',
      makeVariables: {},
      env: {},
      targets: ['vmlinux'],
      toolVersion: '0.1.0',
      runtime: 'podman',
    },
    config: 'web<server>',
    toggle: { name: toggle },
    patches: [
      { name: 'tiny-printk', sha256: H('1') },
      { name: 'tiny-"bug"', sha256: H('2') },
    ],
    status: dec === null ? 'failed' : 'ok',
    hermetic: true,
    startedAt: 'x',
    finishedAt: 'y',
    durationsMs: { build: 2500 },
    ...(dec === null
      ? {}
      : {
          measurement: {
            size: { text: dec - 30, data: 20, bss: 10, dec },
            files: { bzImage: { path: 'arch/i386/boot/bzImage', bytes: Math.round(dec / 2) } },
            sha256: {},
            dirs: Object.entries(dirs).map(([dir, d]) => ({ dir, text: d, data: 0, bss: 0, dec: d, builtins: [] })),
            tools: { size: 'size', nm: 'nm' },
          },
        }),
    diagnostics:
      dec === null
        ? {
            warnings: 0,
            errors: 1,
            firstError: { file: 'kernel/printk.c', line: 9, message: "expected ';' before '<' token & more", kind: 'compiler', logLine: 1, context: ['In function <printk>:'] },
          }
        : { warnings: 0, errors: 0 },
    artifacts: {},
  };
  return { toggle, key, status: r.status, record: r };
}

const report = (budgets?: ReportBudget[], failFlip = false) =>
  buildSizeReport({
    config: 'web<server>',
    run: { startedAt: '2026-01-01T00:00:00Z' },
    toggles: [
      rec('base', 10000, { kernel: 6000, mm: 4000 }),
      rec('queue', 10000, { kernel: 6000, mm: 4000 }),
      rec('all-off', 8600, { kernel: 5000, mm: 3600, lib: 0 }),
      rec('flip:tiny-printk', failFlip ? null : 9000, { kernel: 5000, mm: 4000 }),
      rec('flip:tiny-"bug"', 9500, { kernel: 6000, mm: 3500 }),
    ],
    ...(budgets ? { budgets } : {}),
  });

describe('JUnit XML', () => {
  it('one passing testcase per toggle, with its sizes', () => {
    const xml = renderJunit(report());
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="tiny build web&lt;server&gt;" tests="5" failures="0" errors="0" time="12.500">/);
    expect(xml.match(/<testcase /g)).toHaveLength(5);
    expect(xml).toContain('<testcase classname="tiny.build.web&lt;server&gt;" name="flip:tiny-&quot;bug&quot;" time="2.500">');
    expect(xml).toContain('<system-out>text=9470 data=20 bss=10 dec=9500 bzImage=4750\nrecord ');
    expect(xml).not.toContain('<failure');
  });

  it('a failed build and exceeded budgets are failures with their message', () => {
    const xml = renderJunit(
      report(
        [
          { name: 'bzImage', toggle: 'all-off', ok: false, message: 'bzImage is 4,300 bytes, over the 4K (4,096) budget by 204' },
          { name: 'min_saving_per_patch', toggle: 'flip:tiny-"bug"', ok: true, message: 'saves 500 < 1,000', justification: 'needed for <IDE>' },
          { name: 'text', ok: false, message: 'no toggle to check' },
        ],
        true,
      ),
    );
    expect(xml).toContain('tests="6" failures="3"');
    expect(xml).toContain(`<failure type="build-failed" message="flip:tiny-printk: build failed: kernel/printk.c:9: expected &apos;;&apos; before &apos;&lt;&apos; token &amp; more">`);
    expect(xml).toContain('In function &lt;printk&gt;:\nrecord ');
    expect(xml).toContain('<failure type="budget" message="budget exceeded: bzImage: bzImage is 4,300 bytes, over the 4K (4,096) budget by 204">');
    expect(xml).toContain('budget ok: min_saving_per_patch: saves 500 &lt; 1,000 (justification: needed for &lt;IDE&gt;)');
    expect(xml).toMatch(/<testcase classname="[^"]*" name="budgets" time="0.000">\n {6}<failure type="budget" message="budget exceeded: text: no toggle to check">/);
  });

  it('escapes what XML forbids', () => {
    expect(xmlEscape(`a<b>&"c'\u0001\u0007d\n\t`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;d\n\t');
  });
});

describe('SVG charts', () => {
  it('ticks of 1, 2 or 5 times a power of ten covering the range', () => {
    expect(niceTicks(0, 21230)).toEqual([0, 5000, 10000, 15000, 20000, 25000]);
    expect(niceTicks(-300, 1200)).toEqual([-500, 0, 500, 1000, 1500]);
    expect(niceTicks(0, 0)).toEqual([0, 0.2, 0.4, 0.6000000000000001, 0.8, 1].map((x) => Math.round(x)));
    expect(group(-1234567)).toBe('-1,234,567');
    expect(group(999)).toBe('999');
  });

  it('the waterfall floats each step from the running total; totals stand on zero', () => {
    const svg = waterfallSvg(
      [
        { label: 'a', value: 300 },
        { label: 'b<c>', value: -100 },
      ],
      [{ label: 'sum', value: 200, kind: 'predicted' }],
      { id: 'wf', title: 'T', unit: 'bytes' },
    );
    const bars = [...svg.matchAll(/<rect class="bar" data-kind="(\w+)" data-label="([^"]*)" data-value="(-?\d+)" data-from="(-?\d+)" data-to="(-?\d+)"/g)].map((m) => m.slice(1));
    expect(bars).toEqual([
      ['step', 'a', '300', '0', '300'],
      ['step', 'b&lt;c&gt;', '-100', '300', '200'],
      ['predicted', 'sum', '200', '0', '200'],
    ]);
    expect(svg).toMatch(/^<svg id="wf" class="chart waterfall" xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 \d+ 420"/);
  });

  it('bars per directory, growth to the left of the axis', () => {
    const svg = barChartSvg(
      [
        { label: 'kernel', value: 1000 },
        { label: 'fs', value: -200 },
      ],
      { id: 'd', title: 'T', unit: 'bytes' },
    );
    expect([...svg.matchAll(/data-label="(\w+)" data-value="(-?\d+)" x="([\d.]+)"/g)].map((m) => [m[1], m[2], Number(m[3])])).toEqual([
      ['kernel', '1000', expect.any(Number)],
      ['fs', '-200', expect.any(Number)],
    ]);
  });
});

describe('the HTML page', () => {
  it('is one self-contained file: inline style and SVG, no script, no external reference', () => {
    const html = renderSizeHtml(report());
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|href=|url\(|@import/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:/);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('<title>tiny size report: web&lt;server&gt;');
  });

  it('charts the savings of the series and of each directory', () => {
    const r = report();
    expect(waterfallData(r)).toEqual({
      from: 'base',
      steps: [
        { label: 'queue (no-op cost)', value: 0 },
        { label: 'tiny-printk', value: 1000 },
        { label: 'tiny-"bug"', value: 500 },
      ],
      totals: [
        { label: 'sum of steps', value: 1500, kind: 'predicted' },
        { label: 'all-off (measured)', value: 1400, kind: 'measured' },
      ],
    });
    expect(dirBars(r).map((b) => [b.label, b.value])).toEqual([
      ['kernel', 1000],
      ['mm', 400],
      ['lib', 0],
    ]);
  });
});

describe('Markdown summary', () => {
  it('says so when the configuration turns every option off itself (each flip costs bytes)', () => {
    const offByConfig = buildSizeReport({
      config: 'tiny',
      run: { startedAt: '2026-01-01T00:00:00Z' },
      toggles: [rec('base', 10000), rec('queue', 8600), rec('all-off', 8600), rec('flip:tiny-printk', 9600), rec('flip:tiny-"bug"', 8900)],
    });
    const md = renderSizeMarkdown(offByConfig);
    expect(md).toContain(
      'The configuration turns every option off itself, so all-off is its queue point: each flip turns one option back on, and the "saved" columns below are negative, the bytes it costs.',
    );
    expect(md).toContain("The queue with the configuration's option values vs the bare base: -1400 dec");
    expect(md).not.toContain('No-op cost of the queue');
    expect(offByConfig.optionsOffByConfig).toBe(true);
    expect(report().optionsOffByConfig).toBe(false);
    expect(renderSizeHtml(offByConfig)).toContain("queue with the configuration's option values vs base (dec)");
    expect(renderSizeMarkdown(report())).not.toContain('turns every option off itself');
  });

  it('opens with the headline numbers and the per-patch table, details collapsed', () => {
    const md = renderSizeMarkdown(report(undefined, true));
    expect(md.split('\n').slice(0, 13).join('\n')).toBe(
      [
        '### tiny size report: web<server>, run of 2026-01-01T00:00:00Z (5 toggles, 4 built, 1 failed)',
        '',
        'All options off saves **1400 bytes** of vmlinux (dec, 14.00% of base) and **700 bytes** of bzImage (14.00% of base); the 1 of 2 single flips adds up to 500 (dec).',
        '',
        'No-op cost of the queue (every option at its default vs the bare base): 0 bytes.',
        '',
        "Failed: flip:tiny-printk (kernel/printk.c:9: expected ';' before '<' token & more).",
        '',
        'Bytes saved by turning each option off (`queue - flip:<patch>`); % of base and cumulative in dec:',
        '',
        '| # | patch | text | data | bss | dec | bzImage | % of base | cumulative | cum. % |',
        '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
        '| 1 | tiny-printk | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a |',
      ].join('\n'),
    );
    expect(md).toContain('<details><summary>Sizes per toggle</summary>');
    expect(md).toContain('<details><summary>Inputs</summary>');
    expect(md).not.toContain("The configuration's own choices");
  });

  it("adds the configuration's own choices (config:<SYMBOL>) after the flips, signed", () => {
    const r = buildSizeReport({
      config: 'web<server>',
      run: { startedAt: '2026-01-01T00:00:00Z' },
      toggles: [rec('base', 10000), rec('queue', 10000), rec('config:KALLSYMS', 10400), rec('config:NET', 7000)],
    });
    const md = renderSizeMarkdown(r);
    expect(md).toContain(
      [
        "The configuration's own choices (kconfig.flips; config:<SYMBOL> - queue): bytes each value saves against the other, negative where it costs:",
        '',
        '| symbol | value | text | data | bss | dec | bzImage | % of base |',
        '|---|---|---:|---:|---:|---:|---:|---:|',
        '| KALLSYMS | n/a | +400 | 0 | 0 | +400 | +200 | 4.00% |',
        '| NET | n/a | -3000 | 0 | 0 | -3000 | -1500 | -30.00% |',
      ].join('\n'),
    );
  });
});
