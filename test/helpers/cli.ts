// Run the real `tiny` binary (bin/tiny.js over the compiled dist/) the way a user does, and
// get what they would see. `npm test` compiles first.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contractErrors } from './json-contract.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const TINY_BIN = join(REPO, 'bin', 'tiny.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The schema of what `args` print with --json / --format json (schema/output/<a>-<b> or <a>), or undefined. */
function jsonSchemaOf(args: string[]): string | undefined {
  const asksJson = args.includes('--json') || args.includes('--format=json') || args.some((a, i) => a === '--format' && args[i + 1] === 'json');
  if (!asksJson) return undefined;
  const firstOption = args.findIndex((a) => a.startsWith('-'));
  const words = (firstOption < 0 ? args : args.slice(0, firstOption)).slice(0, 2);
  const names = [words.join('-'), words[0]!, words[0] === 'inline' ? 'inline-cost' : ''].filter(Boolean);
  return names.map((n) => `output/${n}`).find((n) => existsSync(join(REPO, 'schema', `${n}.schema.json`)));
}

/** Entries of a directory, none when it is not there. */
function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The records (records/xx/<key>/metadata.json), their boot results (records/xx/<key>/boot/*.json)
 * and the latest-run indexes (runs/*.json) of `cache`, with their schemas and mtimes.
 */
function recordFiles(cache: string): Map<string, { schema: string; mtime: number }> {
  const files = new Map<string, { schema: string; mtime: number }>();
  const add = (file: string, schema: string) => {
    try {
      files.set(file, { schema, mtime: statSync(file).mtimeMs });
    } catch {
      // not there (a record directory being written, or removed)
    }
  };
  for (const shard of entries(join(cache, 'records'))) {
    for (const key of entries(join(cache, 'records', shard))) {
      const dir = join(cache, 'records', shard, key);
      add(join(dir, 'metadata.json'), 'record');
      // Boot results, searches and allocation censuses kept with the record: one schema, by kind.
      for (const f of entries(join(dir, 'boot'))) if (f.endsWith('.json') && !f.startsWith('.')) add(join(dir, 'boot', f), 'boot-result');
    }
  }
  for (const f of entries(join(cache, 'runs'))) if (f.endsWith('.json')) add(join(cache, 'runs', f), 'run-index');
  return files;
}

/**
 * The records, boot results and run indexes tiny wrote in one call (new, or with another mtime
 * than before it), each against its schema. Files a test planted (an old format, a corrupt record) and tiny
 * left alone are not tiny's output and are not judged.
 */
function writtenRecordErrors(before: Map<string, { mtime: number }>, cache: string): string[] {
  const errors: string[] = [];
  for (const [file, { schema, mtime }] of recordFiles(cache)) {
    if (before.get(file)?.mtime === mtime) continue;
    for (const e of contractErrors(schema, JSON.parse(readFileSync(file, 'utf8')))) errors.push(`${file}: ${e}`);
  }
  return errors;
}

/**
 * Run tiny. Whatever it prints with --json (or --format json) is checked against the command's
 * schema, and so are the records, boot results and run indexes it writes into the cache, in
 * every test, whatever the test then looks at: an output or a file that breaks its own contract
 * fails the test that produced it.
 */
export async function tiny(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  const cache = opts.env?.TINY_CACHE ?? process.env.TINY_CACHE;
  const before = cache ? recordFiles(cache) : new Map();
  const r = await runTiny(args, opts);
  const recordErrors = cache ? writtenRecordErrors(before, cache) : [];
  if (recordErrors.length) throw new Error(`tiny ${args.join(' ')}: a file it wrote into the cache breaks its schema:\n  ${recordErrors.join('\n  ')}`);
  const schema = jsonSchemaOf(args);
  if (schema && r.stdout.trim()) {
    let doc: unknown;
    try {
      doc = JSON.parse(r.stdout);
    } catch {
      throw new Error(`tiny ${args.join(' ')}: --json printed something that is not JSON (exit ${r.code}):\n${r.stdout.slice(0, 400)}`);
    }
    const errors = contractErrors(schema, doc);
    if (errors.length) throw new Error(`tiny ${args.join(' ')}: its JSON breaks ${schema}.schema.json:\n  ${errors.join('\n  ')}`);
  }
  return r;
}

function runTiny(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TINY_BIN, ...args], {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 128, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** A fresh cache directory for one test file (TINY_CACHE). */
export async function tempCache(prefix = 'tiny-cache-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * Run a helper program (tar, quilt, git) asynchronously. Long synchronous calls would block
 * the test worker's event loop and make vitest time out talking to it.
 */
export function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`))));
  });
}
