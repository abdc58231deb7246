// The product's own queue against a real, unmodified Linux 2.6.9 tree (TINY_TREE_2_6):
// import, check, apply. The tree is never modified.

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh, tiny } from '../helpers/cli.js';
import { expectJsonOutput } from '../helpers/json-contract.js';

const TREE = process.env.TINY_TREE_2_6;
if (!TREE) console.warn('SKIP queue-2.6: set TINY_TREE_2_6 to an unmodified Linux 2.6.9 tree to run these tests');

describe.skipIf(!TREE)('the linux-tiny queue on a real 2.6.9 tree', () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let statusBefore: string;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tiny-q26-'));
    env = { TINY_CACHE: join(work, 'cache') };
    statusBefore = await sh('sh', ['-c', `find ${JSON.stringify(TREE!)} -newer ${JSON.stringify(join(TREE!, 'Makefile'))} | wc -l`]);
  });
  // Async: removing a kernel tree synchronously blocks the worker long enough for vitest's RPC to time out.
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('checks the queue: every patch applies in order, alone and reversed', async () => {
    const r = await tiny(['queue', 'check', '--tree', TREE!, '--verbose'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^queue check on 2\.6\.9 \(tree f3d196d3b703\)$/m);
    expect(r.stdout).toMatch(/^compat-bitops-plus-m\s+clean\s+clean\s+clean\s+3\s+14\s+16\s+16\s+-$/m);
    expect(r.stdout).toMatch(/2\.6\.9: \d+ patches: .* 0 fail in order/);
    // Every option patch declares its Kconfig option and changes nothing outside it.
    const list = expectJsonOutput('queue-list', (await tiny(['queue', 'list', '--json'], { env })).stdout).patches as { name: string; option: string | null; bases: string[] }[];
    const optionPatches = list.filter((p) => p.option && (!p.bases.length || p.bases.includes('2.6.9')));
    expect(optionPatches.map((p) => p.name)).toEqual(expect.arrayContaining(['ptrace', 'aio', 'vm86', 'ethtool', 'igmp', 'tcpdiag', 'posix-timers']));
    const ok = '(?:clean|offset [+-]\\d+)';
    for (const p of optionPatches) {
      expect(r.stdout).toMatch(new RegExp(`^${p.name}\\s+${ok}\\s+${ok}\\s+${ok}\\s.*\\bdeclared$`, 'm'));
    }
    // (the queue claims later bases too: their per-base variants are "not meant for this base")
    expect(r.stdout).toMatch(/; 0 with unguarded changes(; \d+ not meant for this base)?$/m);
  }, 300_000);

  it('applies the compat series with git and writes the tree; the base tree is untouched', async () => {
    const out = join(work, 'applied');
    // The compat series (guarded +compat-gcc12) and the unguarded option patches.
    const list = expectJsonOutput('queue-list', (await tiny(['queue', 'list', '--select', 'compat-gcc12', '--json'], { env })).stdout).patches as { selected: boolean; bases: string[] }[];
    // The entries meant for 2.6.9 (per-base variants of later bases share their names).
    const selected = list.filter((p) => p.selected && (!p.bases.length || p.bases.includes('2.6.9'))).length;
    expect(selected).toBeGreaterThanOrEqual(15);
    const r = await tiny(['queue', 'apply', '--tree', TREE!, '--select', 'compat-gcc12', '--out', out, '--timings'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(out);
    expect(r.stderr).toMatch(new RegExp(`${selected} patches applied on 2\\.6\\.9`));
    // The base imported, the series applied with the checkout beside it, then the move.
    expect(r.stderr).toMatch(/^tiny: timings: base \d+\.\d\d s, series \d+\.\d\d s, checkout \d+\.\d\d s \(beside the series\), move \d+\.\d\d s; total \d+\.\d\d s$/m);
    expect(readFileSync(join(out, 'include/asm-i386/bitops.h'), 'utf8')).toContain('"+m"');
    expect(readFileSync(join(TREE!, 'include/asm-i386/bitops.h'), 'utf8')).not.toContain('"+m" (ADDR)');
    // One commit per patch, with the patch's author and subject.
    const log = (await sh('git', ['-C', out, 'log', '--format=%an|%s', `-${selected}`])).trim().split('\n');
    expect(log).toHaveLength(selected);
    expect(log).toContain('tiny maintainers|ptrace: make ptrace() optional (CONFIG_PTRACE)');
    expect(log).toContain('tiny maintainers|kbuild: map the source tree path away (-ffile-prefix-map)');
    // Re-applying the same selection reuses the worktree.
    const again = await tiny(['queue', 'apply', '--tree', TREE!, '--select', 'compat-gcc12', '--out', out], { env });
    expect(again.stderr).toContain('worktree reused');
    const statusAfter = await sh('sh', ['-c', `find ${JSON.stringify(TREE!)} -newer ${JSON.stringify(join(TREE!, 'Makefile'))} | wc -l`]);
    expect(statusAfter).toBe(statusBefore);
    expect(existsSync(join(TREE!, '.git'))).toBe(false);
  }, 300_000);
});
