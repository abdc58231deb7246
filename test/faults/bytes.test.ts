// Fault cases: non-UTF-8 bytes. Linux 2.6 trees hold Latin-1 (CREDITS, MAINTAINERS, driver
// comments) and patches arrive in GBK and other encodings. A patch changes exactly the bytes
// it names: `tiny queue apply` must write what GNU patch writes, byte for byte; `tiny queue
// check` must call clean only what GNU patch applies; `tiny queue rebase` and `refresh` must
// rewrite a patch without replacing a single byte (once, every non-UTF-8 byte became U+FFFD,
// EF BF BD, silently, exit 0). The fake kernel tree (test/fixtures/fakelinux), real git, real
// GNU patch, the real CLI.

import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byteSnapshot } from '../helpers/byte-snapshot.js';
import { REPO, sh, tiny } from '../helpers/cli.js';
import { tempDir } from '../helpers/kernel-tree-fixture.js';

const FAKELINUX = join(REPO, 'test/fixtures/fakelinux');
const b = (s: string) => Buffer.from(s, 'latin1');
const U_FFFD = Buffer.from([0xef, 0xbf, 0xbd]);

// 2.6's CREDITS is Latin-1: "Ralf B\xe4chle" is "Ralf Bächle" there.
const CREDITS = b('N: Linus Torvalds\nE: torvalds@osdl.org\n\nN: Werner Almesberger\nE: werner@almesberger.net\n\nN: Ralf B\xe4chle\nE: ralf@gnu.org\n\nN: Zed Zimmermann\nE: zed@example.org\n');
// GBK: "\xd6\xd0\xce\xc4" is 中文; "\x95\x5c" is a character whose second byte is a backslash.
const GBK_C = b('/* notes */\nint gbk_a;\n/* \xd6\xd0\xce\xc4\xd7\xa2\xca\xcd \x95\x5c */\nint gbk_b;\nint gbk_c;\n');

const LATIN1_PATCH = b(
  'From: Thomas Bogend\xf6rfer <tsbogend@alpha.franken.de>\nSubject: [PATCH] CREDITS: add Thomas\n\n' +
    '--- a/CREDITS\n+++ b/CREDITS\n@@ -7,5 +7,8 @@\n N: Ralf B\xe4chle\n E: ralf@gnu.org\n \n+N: Thomas Bogend\xf6rfer\n+E: tsbogend@alpha.franken.de\n+\n N: Zed Zimmermann\n E: zed@example.org\n',
);
const GBK_PATCH = b(
  '--- a/drivers/gbk.c\n+++ b/drivers/gbk.c\n@@ -2,4 +2,5 @@\n int gbk_a;\n /* \xd6\xd0\xce\xc4\xd7\xa2\xca\xcd \x95\x5c */\n+/* \xd0\xc2\xd4\xf6 \x95\x5c\x95\x5c */\n int gbk_b;\n int gbk_c;\n',
);

async function makeTree(dir: string, extra: Record<string, Buffer> = {}): Promise<void> {
  await cp(FAKELINUX, dir, { recursive: true });
  await writeFile(join(dir, 'CREDITS'), CREDITS);
  await writeFile(join(dir, 'drivers/gbk.c'), GBK_C);
  for (const [p, c] of Object.entries(extra)) {
    await mkdir(join(dir, p, '..'), { recursive: true });
    await writeFile(join(dir, p), c);
  }
}

async function makeQueue(dir: string, tree: string, patches: Record<string, Buffer>, bases = ''): Promise<void> {
  await mkdir(join(dir, 'patches'), { recursive: true });
  const series = Object.keys(patches)
    .map((n) => `  - name: ${n}\n    file: patches/${n}.patch\n`)
    .join('');
  await writeFile(join(dir, 'queue.yaml'), `name: bytes\nbase:\n  version: "0.0"\n  sources:\n    - path: ${tree}\n${bases}series:\n${series}`);
  for (const [n, bytes] of Object.entries(patches)) await writeFile(join(dir, 'patches', `${n}.patch`), bytes);
}

/** GNU patch's result: a copy of `tree` with the patch applied (patch -p1 -F0). */
async function gnuPatch(tree: string, patch: string, out: string): Promise<void> {
  await cp(tree, out, { recursive: true });
  await sh('patch', ['-p1', '-F0', '-s', '--no-backup-if-mismatch', '-d', out, '-i', patch]);
}

describe('non-UTF-8 bytes stay bytes', () => {
  let work: string;
  let tree: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    work = await tempDir('tiny-fault-bytes-');
    env = { TINY_CACHE: join(work, 'cache') };
    tree = join(work, 'linux');
    await makeTree(tree);
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  for (const [what, name, file, patch, added] of [
    ['Latin-1', 'credits', 'CREDITS', LATIN1_PATCH, b('N: Thomas Bogend\xf6rfer\n')],
    ['GBK', 'gbk', 'drivers/gbk.c', GBK_PATCH, b('/* \xd0\xc2\xd4\xf6 \x95\x5c\x95\x5c */\n')],
  ] as const) {
    it(`a ${what} patch: queue apply writes what GNU patch writes, byte for byte; check calls it clean`, async () => {
      const q = join(work, `q-${name}`);
      await makeQueue(q, tree, { [name]: patch });
      const inputs = [await byteSnapshot(q), await byteSnapshot(tree)];

      // $ tiny queue check --queue q --verbose   (the table's row of a clean patch)
      const check = await tiny(['queue', 'check', '--queue', q, '--verbose'], { env });
      expect(check.code, check.stdout + check.stderr).toBe(0);
      expect(check.stdout).toMatch(new RegExp(`^${name}\\s+clean\\s+clean\\s+clean\\s`, 'm'));
      // Nothing but the note of a directory read without importing it (the first check; then apply imports it).
      expect(check.stderr.replace(/^tiny: 0\.0: \S+ read without importing it: .*\n/, '')).toBe('');

      // $ tiny queue apply --queue q --out out
      const out = join(work, `out-${name}`);
      const r = await tiny(['queue', 'apply', '--queue', q, '--out', out], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('tiny: 1 patches applied on 0.0\n');
      const gnu = join(work, `gnu-${name}`);
      await gnuPatch(tree, join(q, 'patches', `${name}.patch`), gnu);
      const got = await readFile(join(out, file));
      expect(got).toEqual(await readFile(join(gnu, file)));
      expect(got.includes(added)).toBe(true);
      expect(got.includes(U_FFFD)).toBe(false);

      // A rerun gives the same bytes; the queue and the tree are as they were.
      const again = await tiny(['queue', 'apply', '--queue', q, '--out', join(work, `again-${name}`)], { env });
      expect(again.code, again.stderr).toBe(0);
      expect(await readFile(join(work, `again-${name}`, file))).toEqual(got);
      expect([await byteSnapshot(q), await byteSnapshot(tree)]).toEqual(inputs);
    });
  }

  it('a Latin-1 context line that differs from the tree in one byte needs fuzz 1, as GNU patch says (not "clean")', async () => {
    // The patch was written against "Ralf B\xe9chle": both bytes once decoded to U+FFFD and matched.
    const q = join(work, 'q-mismatch');
    const patch = b(LATIN1_PATCH.toString('latin1').replace('B\xe4chle', 'B\xe9chle'));
    await makeQueue(q, tree, { credits: patch });
    const inputs = await byteSnapshot(q);
    const gnu = join(work, 'gnu-mismatch');
    await cp(tree, gnu, { recursive: true });
    const said = await sh('patch', ['-p1', '--no-backup-if-mismatch', '-d', gnu, '-i', join(q, 'patches/credits.patch')]);
    expect(said).toContain('Hunk #1 succeeded at 7 with fuzz 1.');

    const check = await tiny(['queue', 'check', '--queue', q], { env });
    expect(check.code, check.stdout).toBe(0);
    expect(check.stdout).toMatch(/^credits\s+fuzz 1\s+fuzz 1\s+/m);
    const out = join(work, 'out-mismatch');
    const apply = await tiny(['queue', 'apply', '--queue', q, '--out', out], { env });
    expect(apply.code, apply.stderr).toBe(0);
    expect(await readFile(join(out, 'CREDITS'))).toEqual(await readFile(join(gnu, 'CREDITS')));
    expect(await byteSnapshot(q)).toEqual(inputs);
  });

  it('queue rebase rewrites a patch with Latin-1 context for the new base, keeping every byte (patch -F0 applies it)', async () => {
    // The new base has two more entries at the top of CREDITS: the patch moves by 6 lines.
    const newTree = join(work, 'linux-new');
    await makeTree(newTree);
    await writeFile(join(newTree, 'CREDITS'), Buffer.concat([b('N: Andr\xe9 A\nE: a@example.org\n\nN: J\xfcrgen B\nE: b@example.org\n\n'), CREDITS]));
    const q = join(work, 'q-rebase');
    await makeQueue(q, tree, { credits: LATIN1_PATCH }, `bases:\n  - version: "0.1"\n    sources:\n      - path: ${newTree}\n`);

    const r = await tiny(['queue', 'rebase', '--queue', q, '--onto', '0.1', '--move'], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^credits\s+merged\s+offset$/m);
    expect(r.stdout).toMatch(/rewrote 1 of 1 patches for 0\.1/);
    const rewritten = await readFile(join(q, 'patches/credits.patch'));
    expect(rewritten.includes(U_FFFD)).toBe(false);
    expect(rewritten.includes(b(' N: Ralf B\xe4chle\n'))).toBe(true);
    expect(rewritten.includes(b('+N: Thomas Bogend\xf6rfer\n'))).toBe(true);
    expect(rewritten.includes(b('From: Thomas Bogend\xf6rfer <tsbogend@alpha.franken.de>\n'))).toBe(true); // the header, untouched
    expect(rewritten.toString('latin1')).toContain('@@ -13,5 +13,8 @@');

    // GNU patch applies the rewritten patch with no fuzz, to the bytes tiny writes on the new base.
    const gnu = join(work, 'gnu-rebase');
    await gnuPatch(newTree, join(q, 'patches/credits.patch'), gnu);
    const out = join(work, 'out-rebase');
    const apply = await tiny(['queue', 'apply', '--queue', q, '--out', out], { env });
    expect(apply.code, apply.stderr).toBe(0);
    expect(await readFile(join(out, 'CREDITS'))).toEqual(await readFile(join(gnu, 'CREDITS')));
    const check = await tiny(['queue', 'check', '--queue', q, '--base', '0.1', '--verbose'], { env });
    expect(check.code, check.stdout).toBe(0);
    expect(check.stdout).toMatch(/^credits\s+clean\s+clean\s+clean\s/m);
  });

  it('queue refresh rewrites a Latin-1 patch that applies with an offset, keeping every byte', async () => {
    // Written for a CREDITS with one entry fewer: offset -3 on the real tree.
    const q = join(work, 'q-refresh');
    const shifted = b(LATIN1_PATCH.toString('latin1').replace('@@ -7,5 +7,8 @@', '@@ -10,5 +10,8 @@'));
    await makeQueue(q, tree, { credits: shifted });
    const r = await tiny(['queue', 'refresh', '--queue', q], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^credits\s+refreshed\s+patches\/credits\.patch \(position:/m);
    const refreshed = await readFile(join(q, 'patches/credits.patch'));
    expect(refreshed.includes(U_FFFD)).toBe(false);
    expect(refreshed.includes(b(' N: Ralf B\xe4chle\n+N: Thomas'))).toBe(false); // context kept in order
    expect(refreshed.includes(b(' N: Ralf B\xe4chle\n E: ralf@gnu.org\n \n+N: Thomas Bogend\xf6rfer\n'))).toBe(true);
    await gnuPatch(tree, join(q, 'patches/credits.patch'), join(work, 'gnu-refresh'));
    expect(await readFile(join(work, 'gnu-refresh', 'CREDITS'))).toEqual(await readFile(join(work, 'gnu-credits', 'CREDITS')));
    // Refreshed once, the patch is stable: a second refresh changes nothing.
    const again = await tiny(['queue', 'refresh', '--queue', q], { env });
    expect(again.stdout).toMatch(/0 of 1 patch changed/);
    expect(await readFile(join(q, 'patches/credits.patch'))).toEqual(refreshed);
  });
});
