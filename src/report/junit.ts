// JUnit XML for CI: one testsuite per run, one testcase per toggle of the matrix. A toggle
// whose build failed (or whose record is missing) fails with its first error; a budget
// exceeded fails the testcase of its toggle (or a `budgets` testcase when it names none). The
// format is the common subset Jenkins, GitLab and GitHub reporters read: one <failure> per
// testcase (several problems are joined into it), time in seconds, properties for the inputs.

import type { ReportBudget, SizeReport } from './size-report.js';
import { METRICS } from './size-report.js';
import { metricLabel, num } from './render-size.js';

export function xmlEscape(s: string): string {
  // Characters XML 1.0 forbids are dropped; the five specials escaped (quotes too: attributes).
  // eslint-disable-next-line no-control-regex
  return s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

interface Case {
  name: string;
  time: number;
  failures: Array<{ type: string; message: string; detail: string }>;
  out: string;
}

const seconds = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(3);

export function renderJunit(r: SizeReport): string {
  const classname = `tiny.build.${r.config}`;
  const cases: Case[] = r.toggles.map((t) => {
    const c: Case = { name: t.toggle, time: (t.durationMs ?? 0) / 1000, failures: [], out: '' };
    if (t.status !== 'ok') {
      c.failures.push({
        type: t.status === 'missing' ? 'missing-record' : 'build-failed',
        message: `${t.toggle}: ${t.status === 'missing' ? '' : 'build failed: '}${t.error ?? t.status}`,
        detail: [...(t.errorContext ?? []), `record ${t.key}${t.log ? ` (build log: ${t.log} in the record directory)` : ''}`].join('\n'),
      });
    }
    if (t.sizes) c.out = `${METRICS.map((m) => `${metricLabel(m, r)}=${num(t.sizes![m])}`).join(' ')}\nrecord ${t.key}\n`;
    return c;
  });
  const loose: ReportBudget[] = [];
  for (const b of r.budgets ?? []) {
    const c = b.toggle !== undefined ? cases.find((x) => x.name === b.toggle) : undefined;
    if (!c) {
      loose.push(b);
      continue;
    }
    if (!b.ok) c.failures.push({ type: 'budget', message: `budget exceeded: ${b.name}: ${b.message}`, detail: b.message });
    else c.out += `budget ok: ${b.name}: ${b.message}${b.justification ? ` (justification: ${b.justification})` : ''}\n`;
  }
  if (loose.length) {
    const bad = loose.filter((b) => !b.ok);
    cases.push({
      name: 'budgets',
      time: 0,
      failures: bad.map((b) => ({ type: 'budget', message: `budget exceeded: ${b.name}: ${b.message}`, detail: b.message })),
      out: loose.map((b) => `${b.ok ? 'ok' : 'EXCEEDED'} ${b.name}: ${b.message}`).join('\n') + '\n',
    });
  }

  const failures = cases.filter((c) => c.failures.length).length;
  const time = cases.reduce((s, c) => s + c.time, 0);
  const props: Array<[string, string]> = [
    ['config', r.config],
    ...r.inputs.trees.map((t): [string, string] => ['tree', t]),
    ...r.inputs.toolchains.map((t): [string, string] => ['toolchain', `${t.name} ${t.image}`]),
    ...r.inputs.runtimes.map((t): [string, string] => ['runtime', t]),
  ];
  const a = xmlEscape;
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<testsuites name="tiny build ${a(r.config)}" tests="${cases.length}" failures="${failures}" errors="0" time="${time.toFixed(3)}">`);
  lines.push(
    `  <testsuite name="tiny build --config ${a(r.config)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${time.toFixed(3)}" timestamp="${a(r.run.startedAt)}">`,
  );
  lines.push('    <properties>');
  for (const [k, v] of props) lines.push(`      <property name="${a(k)}" value="${a(v)}"/>`);
  lines.push('    </properties>');
  for (const c of cases) {
    const open = `    <testcase classname="${a(classname)}" name="${a(c.name)}" time="${seconds(c.time * 1000)}"`;
    if (!c.failures.length && !c.out) {
      lines.push(`${open}/>`);
      continue;
    }
    lines.push(`${open}>`);
    if (c.failures.length) {
      const message = c.failures.map((f) => f.message).join('; ');
      const type = [...new Set(c.failures.map((f) => f.type))].join(',');
      lines.push(`      <failure type="${a(type)}" message="${a(message)}">${a(c.failures.map((f) => `${f.message}\n${f.detail}`).join('\n\n'))}</failure>`);
    }
    if (c.out) lines.push(`      <system-out>${a(c.out)}</system-out>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>');
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}
