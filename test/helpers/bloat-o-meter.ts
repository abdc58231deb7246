// The kernel's own scripts/bloat-o-meter, the reference `tiny diff` is compared with: found
// once (and cached in the temp dir), then run in one Python process for many comparisons.

import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/util/exec.js';

const CACHED = join(tmpdir(), 'tiny-test-bloat-o-meter-6.1');

/**
 * $TINY_BLOAT_O_METER, the copy cached by an earlier run, or scripts/bloat-o-meter extracted
 * from /usr/src/linux-source-*.tar.xz or Debian's orig tarball in ~/.cache/tiny-src; `why`
 * says what is missing when there is none.
 */
export async function findBloatOMeter(): Promise<{ path?: string; why?: string }> {
  const env = process.env.TINY_BLOAT_O_METER;
  if (env) return existsSync(env) ? { path: env } : { why: `$TINY_BLOAT_O_METER=${env} does not exist` };
  if (existsSync(CACHED) && statSync(CACHED).size > 0) return { path: CACHED };
  const candidates: Array<[string, string]> = [];
  if (existsSync('/usr/src'))
    for (const f of readdirSync('/usr/src')
      .filter((f) => /^linux-source-[\d.]+\.tar\.xz$/.test(f))
      .sort())
      candidates.push([`/usr/src/${f}`, `${f.replace(/\.tar\.xz$/, '')}/scripts/bloat-o-meter`]);
  const src = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tiny-src');
  if (existsSync(src)) for (const f of readdirSync(src).filter((f) => /^linux_6\.1\.[\d.]+\.orig\.tar\.xz$/.test(f))) candidates.push([join(src, f), '--wildcards */scripts/bloat-o-meter']);
  for (const [tar, member] of candidates) {
    const tmp = `${CACHED}.${process.pid}`;
    const r = await run('sh', ['-c', `tar -xJf '${tar}' ${member} -O > '${tmp}'`], { allowFail: true });
    if (r.code === 0 && statSync(tmp).size > 0) {
      renameSync(tmp, CACHED);
      return { path: CACHED };
    }
    rmSync(tmp, { force: true });
  }
  return { why: 'no scripts/bloat-o-meter: no /usr/src/linux-source-*.tar.xz or ~/.cache/tiny-src/linux_6.1.*.orig.tar.xz (apt install linux-source, or set TINY_BLOAT_O_METER)' };
}

/**
 * Run the unmodified script once per argument list, all in one Python process (runpy, fresh
 * globals each time: starting python per comparison is most of the time otherwise); returns
 * each run's stdout, in order.
 */
export async function runBloatOMeter(script: string, argLists: string[][], cwd: string): Promise<string[]> {
  const driver = [
    'import json, runpy, sys',
    'script = sys.argv[1]',
    'for args in json.loads(sys.stdin.read()):',
    '    sys.argv = [script] + args',
    '    runpy.run_path(script, run_name="__main__")',
    '    sys.stdout.write("\\0")',
    '    sys.stdout.flush()',
  ].join('\n');
  return (await run('python3', ['-c', driver, script], { cwd, input: JSON.stringify(argLists) })).stdout.split('\0');
}
