// The fault-injection harness: run the real `tiny` (bin/tiny.js over dist/) as a child process in
// its own process group, deliver a real fault when the run reaches a named phase, and compare
// what a rerun gives with a clean run's result.
//
// Phases are recognised from what tiny really does, not from hooks:
//   import        the directory import's lock appears (<cache>/dir-index/*.index.lock-tiny, held
//                 while the directory is read and packed, or added by git)
//   commit chain  git fast-import writing a series' commits: its temporary pack appears in
//                 <cache>/trees.git/objects/pack (the import's own are tmp_pack_tiny-*)
//   checkout      git's index.lock of a worktree appears (<cache>/trees.git/worktrees/*/index.lock)
//                 while it is being added or moved to another commit
//   compile       the toggle's build log shows the compiler running ("  CC ")
//   measure       the progress line says "measuring"
//   record write  tiny stops itself at a fault point inside the record store's save (the
//                 temp record directory half-written), TINY_FAULT_PHASE=record-write: too short
//                 a moment on the fake kernel to hit from outside
// The fault goes to the whole process group (tiny and the git, make or compiler it runs), as a
// closed terminal, the OOM killer or `kill -9 -PGID` deliver it.
//
// Cases assert: the exit code, a message naming the cause and the fix, the user's inputs byte
// for byte as before, and the rerun's records equal to a clean run's.

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, TINY_BIN, sh } from '../helpers/cli.js';

export { REPO, sh };

export const FIX = join(REPO, 'test/fixtures');
export const FAKELINUX = join(FIX, 'fakelinux');
/** The fake kernel's configuration and queue (host runtime: no container needed). */
export const FAKE_CONFIG = join(FIX, 'build/configs/fake-tiny.yaml');
export const FAKE_QUEUE = join(FIX, 'build/fake-queue');

export type Phase = 'import' | 'commit chain' | 'checkout' | 'compile' | 'measure' | 'record write';

export interface Outcome {
  /** Exit status; for a run ended by a signal, 128 + the signal number (as a shell shows it). */
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<Outcome>;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGSTOP: 19 };

/** Start `tiny args...` in its own process group. */
export function start(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Running {
  const child = spawn(process.execPath, [TINY_BIN, ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<Outcome>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? 128 + (SIGNAL_NUMBERS[signal ?? ''] ?? 0), signal, stdout, stderr }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** Run `tiny args...` to the end. */
export function tiny(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Outcome> {
  return start(args, opts).done;
}

/** Signal tiny's whole process group (tiny and the programs it runs). */
export function signalGroup(r: Running, signal: NodeJS.Signals): void {
  try {
    process.kill(-r.child.pid!, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

async function until(what: string, cond: () => boolean, r: Running, ms: number): Promise<void> {
  const t0 = Date.now();
  let exited = false;
  void r.done.then(() => (exited = true));
  while (!cond()) {
    if (exited) throw new Error(`tiny ended before ${what}:\n${r.stderr().slice(-2000)}`);
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}:\n${r.stderr().slice(-2000)}`);
    await new Promise((res) => setTimeout(res, 2));
  }
}

/** True as soon as a file matching `match` appears in `dir` (inotify, plus a look at what is there). */
function appears(dir: string, match: (name: string) => boolean): { seen: () => boolean; close: () => void } {
  let seen = false;
  let watcher: FSWatcher | undefined;
  const look = () => {
    try {
      if (readdirSync(dir).some(match)) seen = true;
    } catch {
      /* not there yet */
    }
  };
  const arm = () => {
    if (watcher || !existsSync(dir)) return;
    try {
      watcher = watch(dir, (_e, name) => {
        if (name && match(String(name))) seen = true;
      });
    } catch {
      /* removed meanwhile */
    }
  };
  const timer = setInterval(() => {
    arm();
    look();
  }, 1);
  arm();
  return {
    seen: () => seen,
    close: () => {
      clearInterval(timer);
      watcher?.close();
    },
  };
}

/**
 * A checkout under way in any worktree of the store: git's index.lock in the worktree's admin
 * directory while git says it is adding the worktree (`locked`: "initializing") or tiny says it
 * is moving it (`tiny-checkout`) — not the short lock of a `git status`.
 */
function checkoutUnderWay(cache: string): { seen: () => boolean; close: () => void } {
  const admin = join(cache, 'trees.git', 'worktrees');
  let seen = false;
  const watchers = new Map<string, FSWatcher>();
  const look = (d: string) => {
    if (existsSync(join(d, 'index.lock')) && (existsSync(join(d, 'locked')) || existsSync(join(d, 'tiny-checkout')))) seen = true;
  };
  const scan = () => {
    let names: string[] = [];
    try {
      names = readdirSync(admin);
    } catch {
      return;
    }
    for (const n of names) {
      const d = join(admin, n);
      // inotify tells at once when git creates its lock; the poll covers a directory being made.
      if (!watchers.has(n)) {
        try {
          watchers.set(
            n,
            watch(d, (_e, f) => f === 'index.lock' && look(d)),
          );
        } catch {
          /* removed meanwhile */
        }
      }
      look(d);
    }
  };
  scan();
  const timer = setInterval(scan, 1);
  return {
    seen: () => seen,
    close: () => {
      clearInterval(timer);
      for (const w of watchers.values()) w.close();
    },
  };
}

/** Any build log of the cache showing the compiler at work. */
function compiling(cache: string): boolean {
  const logs = join(cache, 'logs');
  try {
    for (const config of readdirSync(logs)) {
      for (const f of readdirSync(join(logs, config))) {
        if (f.endsWith('.log') && !f.endsWith('.config.log') && /^ {2}CC {6}/m.test(readFileSync(join(logs, config, f), 'utf8'))) return true;
      }
    }
  } catch {
    /* no logs yet */
  }
  return false;
}

export interface FaultOptions {
  env: NodeJS.ProcessEnv & { TINY_CACHE: string };
  cwd?: string;
  /** What to deliver at the phase (default SIGKILL). SIGINT is followed by nothing else: tiny handles it. */
  signal?: NodeJS.Signals;
  /** How long the phase may take to come (default 60 s). */
  timeoutMs?: number;
}

/**
 * Run `tiny args...`, deliver `signal` to its process group when it reaches `phase`, and wait
 * for it to end. Returns the outcome and the phase it was stopped in.
 */
export async function faultAt(phase: Phase, args: string[], opts: FaultOptions): Promise<Outcome> {
  const cache = opts.env.TINY_CACHE;
  const signal = opts.signal ?? 'SIGKILL';
  const env = { ...opts.env, ...(phase === 'record write' ? { TINY_FAULT_PHASE: 'record-write' } : {}) };
  let watcher: { seen: () => boolean; close: () => void } | undefined;
  if (phase === 'import') watcher = appears(join(cache, 'dir-index'), (f) => f.endsWith('.index.lock-tiny'));
  if (phase === 'checkout') watcher = checkoutUnderWay(cache);
  if (phase === 'commit chain') watcher = appears(join(cache, 'trees.git', 'objects', 'pack'), (f) => f.startsWith('tmp_pack_') && !f.startsWith('tmp_pack_tiny-'));
  const r = start(args, { env, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
  try {
    const reached: Record<Phase, () => boolean> = {
      import: () => watcher!.seen(),
      'commit chain': () => watcher!.seen(),
      checkout: () => watcher!.seen(),
      compile: () => compiling(cache),
      measure: () => /\] \S+\s+measuring /.test(r.stderr()),
      'record write': () => r.stderr().includes('tiny: fault point record-write: stopped'),
    };
    await until(`phase ${phase}`, reached[phase], r, opts.timeoutMs ?? 60_000);
    signalGroup(r, signal);
    // A run stopped at its fault point gets the signal when it continues (SIGKILL needs no continue).
    if (phase === 'record write' && signal !== 'SIGKILL') signalGroup(r, 'SIGCONT');
    return await r.done;
  } finally {
    watcher?.close();
  }
}

// --- results --------------------------------------------------------------------------------

export interface ToggleResult {
  toggle: string;
  status: string;
  key?: string;
  dec?: number;
  sha256?: Record<string, string>;
}

/** The toggles of a `tiny build --json` output. */
export function toggles(stdout: string): ToggleResult[] {
  const j = JSON.parse(stdout) as { toggles: ToggleResult[] };
  return j.toggles;
}

/** What must be equal between a rerun and a clean run: per toggle its record key, size and every artifact's sha256. */
export function comparable(stdout: string): Array<Omit<ToggleResult, 'status'>> {
  return toggles(stdout).map(({ toggle, key, dec, sha256 }) => ({ toggle, key, dec, sha256 }));
}

const cleanRuns = new Map<string, Promise<string>>();

/**
 * A clean run's `tiny build --json` output for these arguments (in a fresh cache, once per
 * argument list and test file): the reference a rerun after a fault must equal.
 */
export function cleanRun(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  const key = JSON.stringify([args, opts.cwd ?? '']);
  let p = cleanRuns.get(key);
  if (!p) {
    p = (async () => {
      const cache = await scratch('tiny-clean-');
      try {
        const r = await tiny([...args, '--json'], { ...opts, env: { ...opts.env, TINY_CACHE: cache } });
        if (r.code !== 0) throw new Error(`the clean run failed (${r.code}):\n${r.stderr}`);
        return r.stdout;
      } finally {
        await rm(cache, { recursive: true, force: true });
      }
    })();
    cleanRuns.set(key, p);
  }
  return p;
}

// --- inputs -------------------------------------------------------------------------------------

/** Every path below `dir` with its type, mode, mtime and the sha256 of its bytes: equal = untouched. */
export async function snapshotBytes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string, rel: string) => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      const st = await lstat(p);
      const what = e.isSymbolicLink()
        ? `link ${await readlink(p)}`
        : e.isDirectory()
          ? 'dir'
          : `file ${createHash('sha256')
              .update(await readFile(p))
              .digest('hex')}`;
      out[`${rel}${e.name}`] = `${what} mode ${st.mode.toString(8)} mtime ${st.mtimeMs}`;
      if (e.isDirectory()) await walk(p, `${rel}${e.name}/`);
    }
  };
  await walk(dir, '');
  return out;
}

/** A fresh temp directory. */
export function scratch(prefix = 'tiny-fault-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * A copy of the fake queue whose base is a copy of the fake kernel with `padFiles` more small
 * files: enough for git's import and checkout to take a moment a fault can land in. Its patch
 * pad-init (guard +pad: no build selects it) changes every one of them, so that moving a
 * worktree to the series with it rewrites them all.
 */
export async function paddedFakeQueue(work: string, padFiles = 1500): Promise<{ queue: string; tree: string }> {
  const tree = join(work, 'fakelinux');
  const queue = join(work, 'queue');
  await cp(FAKELINUX, tree, { recursive: true });
  await mkdir(join(tree, 'pad'), { recursive: true });
  const diff: string[] = [];
  for (let i = 0; i < padFiles; i++) {
    await writeFile(join(tree, 'pad', `f${i}.c`), `int pad${i};\n`);
    diff.push(`--- a/pad/f${i}.c`, `+++ b/pad/f${i}.c`, '@@ -1 +1 @@', `-int pad${i};`, `+int pad${i} = 1;`);
  }
  await cp(FAKE_QUEUE, queue, { recursive: true });
  await writeFile(join(queue, 'patches', 'pad-init.patch'), `Subject: pad: initialise every pad\n\n---\n${diff.join('\n')}\n`);
  const yaml = join(queue, 'queue.yaml');
  await writeFile(yaml, (await readFile(yaml, 'utf8')).replace('path: ../../fakelinux', `path: ${tree}`) + '  - name: pad-init\n    file: patches/pad-init.patch\n    guards: [+pad]\n');
  return { queue, tree };
}

// --- a small disk -------------------------------------------------------------------------------

export interface SmallDisk {
  dir: string;
  /** Give it `size` (tmpfs size: 64m) without losing what is on it. */
  grow(size: string): Promise<void>;
  remove(): Promise<void>;
}

/**
 * A small tmpfs mounted at a fresh directory (we run as root in CI). Returns a reason instead
 * when mounting is impossible here; in CI that is an error: the ENOSPC cases must run there.
 */
export async function smallDisk(size: string): Promise<SmallDisk | { skip: string }> {
  const dir = await scratch('tiny-small-disk-');
  try {
    await sh('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    const why = `cannot mount a ${size} tmpfs for the full-disk cases (${(e as Error).message.split('\n')[0]}); run as root, or where mount(8) is allowed`;
    if (process.env.CI) throw new Error(why);
    return { skip: why };
  }
  return {
    dir,
    grow: async (s: string) => {
      await sh('mount', ['-o', `remount,size=${s}`, dir]);
    },
    remove: async () => {
      await sh('umount', ['-l', dir]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Files below `dir` whose name matches `re` (e.g. leftover temp files), relative to `dir`. */
export async function filesMatching(dir: string, re: RegExp): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (re.test(e.name)) out.push(`${rel}${e.name}`);
      if (e.isDirectory() && !e.isSymbolicLink()) await walk(join(d, e.name), `${rel}${e.name}/`);
    }
  };
  await walk(dir, '');
  return out.sort();
}

/** The git tree hash of a directory's files (a worktree's .git file left out, as git does). */
export { referenceTreeHash as treeHash } from '../helpers/kernel-tree-fixture.js';
