// `tiny queue check --checkpatch` runs the base tree's own scripts/checkpatch.pl: here the
// real one from Debian's 6.1 tarball, dropped into the fixture tree (copied, in a temp dir).

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, sh, tiny } from '../helpers/cli.js';
import { expectJsonOutput } from '../helpers/json-contract.js';
import { DEBIAN_ORIG, DEBIAN_SRC } from '../helpers/trees.js';

const SRC = DEBIAN_SRC;
const ORIG = DEBIAN_ORIG;
if (!ORIG) console.warn(`SKIP checkpatch: no linux_6.1.*.orig.tar.xz in ${SRC} (run scripts/setup.sh)`);

describe.skipIf(!ORIG)('tiny queue check --checkpatch', () => {
  let work: string;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tiny-checkpatch-'));
    cpSync(join(REPO, 'test/fixtures/merge/tree'), join(work, 'tree'), { recursive: true });
    const top = ORIG!.replace(/^linux_(.*)\.orig\.tar\.xz$/, 'linux-$1');
    const files = ['scripts/checkpatch.pl', 'scripts/spelling.txt', 'scripts/const_structs.checkpatch'];
    await sh('tar', ['-xJf', join(SRC, ORIG!), '-C', join(work, 'tree'), '--strip-components=1', ...files.map((f) => `${top}/${f}`)]);
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("reports the tree's checkpatch.pl findings per patch", async () => {
    const r = await tiny(['queue', 'check', '--queue', join(REPO, 'test/fixtures/merge/queue'), '--tree', join(work, 'tree'), '--checkpatch', '--json'], { env: { TINY_CACHE: join(work, 'cache') } });
    expect(r.code).toBe(1); // super-remount fails in order
    const base = (expectJsonOutput('queue-check', r.stdout).bases as any[])[0];
    const style = (name: string) => base.patches.find((p: any) => p.name === name).style.filter((s: any) => s.kind === 'checkpatch');
    const messages = (name: string) => style(name).map((s: any) => `${s.line}: ${s.message}`);
    expect(messages('super-report-errors')).toEqual([
      '4: WARNING:COMMIT_MESSAGE: Missing commit description - Add an appropriate one',
      '8: WARNING:PRINTK_WITHOUT_KERN_LEVEL: printk() should include KERN_<LEVEL> facility level',
      '11: ERROR:MISSING_SIGN_OFF: Missing Signed-off-by: line(s)',
    ]);
    expect(messages('printk-optional')).toContain('22: WARNING:CONFIG_DESCRIPTION: please write a help paragraph that fully describes the config symbol');
    const text = await tiny(['queue', 'check', '--queue', join(REPO, 'test/fixtures/merge/queue'), '--tree', join(work, 'tree'), '--checkpatch', '--no-pairs'], {
      env: { TINY_CACHE: join(work, 'cache') },
    });
    expect(text.stdout).toContain('super-report-errors: patch line 8: WARNING:PRINTK_WITHOUT_KERN_LEVEL: printk() should include KERN_<LEVEL> facility level');
  }, 300_000);
});
