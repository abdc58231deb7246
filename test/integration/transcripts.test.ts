// The CLI's text output as a user sees it, checked line by line: every test/transcripts/*.t file
// is a session of `$ tiny ...` commands, each followed by what it prints, in the spirit of
// quilt's test/*.test files (and cram's .t).
//
// A .t file:
//   # comment                      (before a command: explains the step)
//   $ tiny queue check             (a command; `$ cd DIR` changes directory inside the project;
//                                   VAR=value before tiny sets its environment; $WORK is the project)
//   queue check on 0.0 (tree ...)  (stdout, line for line)
//   2> tiny: warning ...           (stderr, line for line, after stdout's lines)
//   [exit 1]                       (the exit code; no such line means 0)
// An expected line ending in " (glob)" matches with * and ?; a line "..." (or "2> ...") matches
// any number of lines. A blank line or a comment before the next command ends an output
// (trailing blank lines of an output are not compared).
//
// Each file runs in a fresh project directory (a temporary directory, also HOME, so the queue
// search stops there) holding copies of the fixtures:
//   queue/ configs/ linux/   the fake kernel (test/fixtures/fakelinux) and its queue and configs
//   merge/                   test/fixtures/merge: a queue with every check outcome, and its tree
//   broken/                  test/fixtures/queues/unknown-key: a queue.yaml with unknown keys
//   bin/                     sh and git only (a PATH for a machine without podman, quilt, qemu)
// with TINY_CACHE=$WORK/.cache, NO_COLOR=1, and PATH as the test's (doctor.t narrows it).
//
// Normalised before comparing, and only these: the project directory's path (-> $WORK), the
// path of tiny's own directory (-> $TINY: doctor names its setup script by full path), ISO
// times (-> <time>) and durations such as 0.9s, 1m02s, 350ms (-> #s, with the spaces that
// right-align them squeezed to one). Everything else — tree hashes, sizes, record keys — is
// compared as printed: the fake kernel builds with the host's gcc of scripts/setup.sh.
//
// A mismatch fails with a unified diff of the expected and actual transcript of that file.
// TINY_UPDATE_TRANSCRIPTS=1 writes the actual transcripts into the files instead (then read the
// change with git diff: a transcript is only as good as its review).

import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/util/exec.js';
import { REPO, TINY_BIN } from '../helpers/cli.js';

const DIR = join(REPO, 'test', 'transcripts');

interface Step {
  /** The line of the .t file the command is on. */
  line: number;
  comments: string[];
  argv: string[];
  expected: string[];
}

/** Split a command line into words: spaces separate, '...' and "..." quote. */
function words(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let any = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      any = true;
    } else if (ch === ' ') {
      if (cur || any) out.push(cur);
      cur = '';
      any = false;
    } else {
      cur += ch;
      any = true;
    }
  }
  if (cur || any) out.push(cur);
  return out;
}

function parseTranscript(text: string): Step[] {
  const steps: Step[] = [];
  let comments: string[] = [];
  let current: Step | undefined;
  const lines = text.replace(/\n$/, '').split('\n');
  lines.forEach((l, i) => {
    if (l.startsWith('$ ')) {
      if (current) steps.push(current);
      current = { line: i + 1, comments, argv: words(l.slice(2)), expected: [] };
      comments = [];
    } else if (current) {
      current.expected.push(l);
    } else if (l.startsWith('#') || l === '') {
      comments.push(l);
    } else {
      throw new Error(`line ${i + 1}: output before any command: ${l}`);
    }
  });
  if (current) steps.push(current);
  // The comments and blank lines at the end of an output belong to the next command.
  for (let s = 0; s < steps.length; s++) {
    const e = steps[s]!.expected;
    let cut = e.length;
    while (cut > 0 && (e[cut - 1] === '' || e[cut - 1]!.startsWith('# '))) cut--;
    if (s + 1 < steps.length) steps[s + 1]!.comments.unshift(...e.slice(cut));
    steps[s]!.expected = e.slice(0, cut);
  }
  return steps;
}

/** What a command printed, as transcript lines: stdout, then stderr as "2> ", then [exit N]. */
function transcriptLines(stdout: string, stderr: string, code: number): string[] {
  const lines = (s: string) => (s === '' ? [] : s.replace(/\n$/, '').split('\n'));
  const out = [...lines(stdout), ...lines(stderr).map((l) => `2> ${l}`)];
  while (out.length && out[out.length - 1] === '') out.pop();
  return [...out, ...(code === 0 ? [] : [`[exit ${code}]`])];
}

function normalise(text: string, work: string, tiny = REPO.replace(/\/$/, '')): string {
  return text
    .split(work)
    .join('$WORK')
    .split(tiny)
    .join('$TINY')
    .replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\b/g, '<time>')
    .replace(/ *\b(\d+m)?\d+(\.\d+)?(ms|s)\b/g, (m) => `${m.startsWith(' ') ? ' ' : ''}#s`);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Does one expected line match one actual line? */
function lineMatches(expected: string, actual: string): boolean {
  if (expected.endsWith(' (glob)')) {
    const pattern = expected.slice(0, -' (glob)'.length);
    const re = escapeRe(pattern).replace(/\\\*/g, '.*').replace(/\\\?/g, '.');
    return new RegExp(`^${re}$`).test(actual);
  }
  return expected === actual;
}

/** Match with "..." lines standing for any number of lines (backtracking, the lists are short). */
function matches(expected: string[], actual: string[]): boolean {
  const go = (i: number, j: number): boolean => {
    if (i === expected.length) return j === actual.length;
    const e = expected[i]!;
    if (e === '...' || e === '2> ...') {
      const stderr = e.startsWith('2> ');
      for (let k = j; k <= actual.length; k++) {
        if (go(i + 1, k)) return true;
        // "..." stays within its stream: stdout's does not swallow stderr lines, and the reverse.
        if (k < actual.length && actual[k]!.startsWith('2> ') !== stderr) return false;
      }
      return false;
    }
    return j < actual.length && lineMatches(e, actual[j]!) && go(i + 1, j + 1);
  };
  return go(0, 0);
}

/** A unified-style diff of two line lists (the whole transcript: they are short). */
function diff(expected: string[], actual: string[]): string {
  const n = expected.length;
  const m = actual.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = lineMatches(expected[i]!, actual[j]!) || expected[i] === '...' ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && (lineMatches(expected[i]!, actual[j]!) || expected[i] === '...')) {
      out.push(`  ${actual[j]}`);
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) out.push(`+ ${actual[j++]}`);
    else out.push(`- ${expected[i++]}`);
  }
  return out.join('\n');
}

/** A fresh project directory with the fixtures a transcript uses. */
async function project(): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'tiny-transcript-'));
  const fix = join(REPO, 'test', 'fixtures');
  await cp(join(fix, 'fakelinux'), join(work, 'linux'), { recursive: true });
  await cp(join(fix, 'build', 'fake-queue'), join(work, 'queue'), { recursive: true });
  const queueYaml = join(work, 'queue', 'queue.yaml');
  await writeFile(queueYaml, (await readFile(queueYaml, 'utf8')).replace('path: ../../fakelinux', 'path: ../linux').replace(/\$schema=\S+/, '$schema=queue.schema.json'));
  await mkdir(join(work, 'configs'));
  await cp(join(fix, 'build', 'configs', 'fake-tiny.yaml'), join(work, 'configs', 'fake-tiny.yaml'));
  await mkdir(join(work, 'merge'));
  await cp(join(fix, 'merge', 'queue'), join(work, 'merge', 'queue'), { recursive: true });
  await cp(join(fix, 'merge', 'tree'), join(work, 'merge', 'tree'), { recursive: true });
  await cp(join(fix, 'queues', 'unknown-key'), join(work, 'broken'), { recursive: true });
  // A PATH with only what tiny cannot run without (sh, git): doctor.t's machine lacks the rest.
  await mkdir(join(work, 'bin'));
  for (const prog of ['sh', 'git']) {
    const found = (await run('sh', ['-c', `command -v ${prog}`])).stdout.trim();
    await symlink(found, join(work, 'bin', prog));
  }
  return work;
}

/** Run a transcript's steps; the expected and actual transcript (comments and commands included). */
async function runTranscript(steps: Step[], work: string, env: NodeJS.ProcessEnv): Promise<{ expected: string[]; actual: string[]; ok: boolean }> {
  const expected: string[] = [];
  const actual: string[] = [];
  let ok = true;
  let cwd = work;
  for (const s of steps) {
    const head = [...s.comments, `$ ${s.argv.join(' ')}`];
    expected.push(...head, ...s.expected);
    actual.push(...head);
    // VAR=value words before the command set its environment; $WORK stands for the project.
    const argv = s.argv.map((w) => w.split('$WORK').join(work));
    const assigned: NodeJS.ProcessEnv = {};
    while (argv.length && /^[A-Z_][A-Z0-9_]*=/.test(argv[0]!)) {
      const w = argv.shift()!;
      assigned[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1);
    }
    const [cmd, ...args] = argv;
    let got: string[];
    if (cmd === 'cd') {
      cwd = resolve(cwd, args[0] ?? work);
      got = [];
    } else if (cmd === 'tiny') {
      const r = await run(process.execPath, [TINY_BIN, ...args], { cwd, env: { ...env, ...assigned }, allowFail: true });
      got = transcriptLines(normalise(r.stdout, work), normalise(r.stderr, work), r.code);
    } else {
      throw new Error(`line ${s.line}: a transcript runs tiny (and cd), not ${cmd}`);
    }
    actual.push(...got);
    if (!matches(s.expected, got)) ok = false;
  }
  return { expected, actual, ok };
}

describe('transcripts: parsing and matching', () => {
  it('reads commands, their output, stderr, the exit code, and comments before a command', () => {
    const steps = parseTranscript(`# list it\n$ tiny queue list --queue 'a b'\nx\n\n2> warn\n[exit 1]\n\n# next\n$ tiny doctor\n`);
    expect(steps).toEqual([
      { line: 2, comments: ['# list it'], argv: ['tiny', 'queue', 'list', '--queue', 'a b'], expected: ['x', '', '2> warn', '[exit 1]'] },
      { line: 9, comments: ['', '# next'], argv: ['tiny', 'doctor'], expected: [] },
    ]);
  });

  it('matches ... and (glob) lines, and not across streams', () => {
    expect(matches(['a', '...', 'd'], ['a', 'b', 'c', 'd'])).toBe(true);
    expect(matches(['a', '...'], ['a'])).toBe(true);
    expect(matches(['a', '...'], ['a', '2> e'])).toBe(false);
    expect(matches(['a', '2> ...'], ['a', '2> e', '2> f'])).toBe(true);
    expect(matches(['x * z (glob)'], ['x y z'])).toBe(true);
    expect(matches(['x'], ['y'])).toBe(false);
  });

  it('normalises only the project path, times and durations', () => {
    expect(normalise('/tmp/w/x /opt/tiny/scripts run of 2026-12-05T00:31:39.828Z in 3s; built   0.9s, 1m02s, 350ms; 2.6.9 tree 765d780a6641', '/tmp/w', '/opt/tiny')).toBe(
      '$WORK/x $TINY/scripts run of <time> in #s; built #s, #s, #s; 2.6.9 tree 765d780a6641',
    );
  });

  it('shows a mismatch as a diff', () => {
    expect(diff(['a', 'b', 'c'], ['a', 'x', 'c'])).toBe('  a\n+ x\n- b\n  c');
  });
});

describe('transcripts (test/transcripts/*.t)', async () => {
  const files = (await readdir(DIR)).filter((f) => f.endsWith('.t')).sort();
  it('has transcripts', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const file of files) {
    it(file, async () => {
      const steps = parseTranscript(await readFile(join(DIR, file), 'utf8'));
      const work = await project();
      try {
        const env: NodeJS.ProcessEnv = { ...process.env, TINY_CACHE: join(work, '.cache'), HOME: work, NO_COLOR: '1' };
        delete env.TINY_QUEUE;
        delete env.TINY_RUNTIME;
        delete env.TINY_TREE_2_6;
        const { expected, actual, ok } = await runTranscript(steps, work, env);
        // TINY_UPDATE_TRANSCRIPTS=1 writes what tiny printed back into the file, to review with git diff.
        if (process.env.TINY_UPDATE_TRANSCRIPTS === '1') await writeFile(join(DIR, file), actual.join('\n') + '\n');
        else if (!ok) expect.fail(`${file}: the output differs from the transcript (- expected, + actual):\n${diff(expected, actual)}`);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    }, 300_000);
  }
});
