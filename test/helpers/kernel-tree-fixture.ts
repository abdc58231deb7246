// Small fake kernel trees and tarballs of them, made in temp dirs by the tests themselves.

import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { importBase, openTreeStore, type TreeStore } from '../../src/tree/index.js';
import { run } from '../../src/util/exec.js';

export async function tempDir(prefix = 'tiny-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export const MAIN_C = Array.from({ length: 40 }, (_, i) => `int line${i + 1} = ${i + 1};`).join('\n') + '\n';

/**
 * A tiny kernel-like tree: Makefile with VERSION lines, C sources, an executable script, a
 * symlink, a .gitignore that ignores some files which must still be imported, a .gitattributes
 * that would convert line endings if honoured, and a file with CRLF line ends.
 */
export async function writeFakeKernel(dir: string, version = { v: 2, p: 6, s: 9, extra: '' }): Promise<void> {
  const files: Record<string, string> = {
    Makefile: `VERSION = ${version.v}\nPATCHLEVEL = ${version.p}\nSUBLEVEL = ${version.s}\nEXTRAVERSION =${version.extra ? ' ' + version.extra : ''}\nNAME=Fake Quokka\n\nall:\n\t@echo built\n`,
    'init/main.c': MAIN_C,
    'init/version.c': '#include <linux/version.h>\nconst char *v = "fake";\n',
    'kernel/sched.c': 'void schedule(void) {}\n',
    'include/linux/kernel.h': '#define KERN_INFO "<6>"\n',
    'scripts/mkversion': '#!/bin/sh\necho 1\n',
    '.gitignore': '*.o\n*.ko\nignored-dir/\n',
    '.gitattributes': '*.txt text eol=crlf\n*.c ident\n',
    'init/built.o': 'not really an object\n',
    'ignored-dir/keep.txt': 'ignored but kept\n',
    'Documentation/dos.txt': 'line one\r\nline two\r\n',
    'empty-file': '',
    'dir with space/file name.c': 'int spaced;\n',
  };
  for (const [p, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, p)), { recursive: true });
    await writeFile(join(dir, p), text);
  }
  await chmod(join(dir, 'scripts/mkversion'), 0o755);
  await symlink('../include/linux/kernel.h', join(dir, 'init/kernel.h'));
  await mkdir(join(dir, 'empty-dir'), { recursive: true });
}

/** A fake kernel at <work>/linux, imported into a fresh tree store at <work>/cache (work: a new temp dir). */
export async function importedFakeKernel(): Promise<{ work: string; store: TreeStore; base: string }> {
  const work = await tempDir();
  await writeFakeKernel(join(work, 'linux'));
  const store = await openTreeStore(join(work, 'cache'));
  const base = (await importBase(store, { kind: 'dir', path: join(work, 'linux') }, {})).commit;
  return { work, store, base };
}

export type TarFormat = 'tar' | 'tar.gz' | 'tgz' | 'tar.bz2' | 'tar.xz';

/** Tar `root/<top>` into `<out>/<top>.<format>` with a single top-level directory. */
export async function makeTarball(parent: string, top: string, outDir: string, format: TarFormat): Promise<string> {
  const flag = { tar: [], 'tar.gz': ['-z'], tgz: ['-z'], 'tar.bz2': ['-j'], 'tar.xz': ['-J'] }[format];
  const out = join(outDir, `${top}.${format}`);
  await run('tar', ['-c', ...flag, '-f', out, '-C', parent, '--owner=0', '--group=0', '--sort=name', top]);
  return out;
}

/**
 * The git tree hash of a directory's files, the reference way: git's own hashing in a fresh
 * repository. Every file and symlink goes into a new index by `git update-index --add
 * --info-only` (it hashes each file as `git add -A -f` does, but compresses and writes no
 * object: 9.5–14 s against 42 s for Linux 6.1's 80,000 files), then `git write-tree --missing-ok`.
 * Left out, as git add leaves them out: anything named .git (a worktree's .git file too); and
 * the top-level entries named in `exclude` (quilt's .pc). Raw bytes: no attribute conversions.
 */
export async function referenceTreeHash(dir: string, exclude: readonly string[] = []): Promise<string> {
  const gitDir = await tempDir('tiny-ref-git-');
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_INDEX_FILE: join(gitDir, 'index') };
  try {
    await run('git', ['init', '-q', '--bare', gitDir], { env });
    // info/attributes: raw bytes, like tar -x + git add with no .gitattributes conversions.
    await writeFile(join(gitDir, 'info', 'attributes'), '* -text -eol -filter -ident\n');
    const pruned = ['-name', '.git', ...exclude.flatMap((e) => ['-o', '-path', `./${e}`])];
    const list = `find . \\( ${pruned.map((a) => `'${a}'`).join(' ')} \\) -prune -o \\( -type f -o -type l \\) -printf '%P\\0'`;
    await run('bash', ['-c', `set -o pipefail; ${list} | git --git-dir "$1" --work-tree . update-index --add --info-only -z --stdin`, 'bash', gitDir], { cwd: dir, env });
    return (await run('git', ['--git-dir', gitDir, 'write-tree', '--missing-ok'], { env })).stdout.trim();
  } finally {
    await removeDir(gitDir);
  }
}

/** A git repository at `dir` whose content is a fake kernel; returns commit ids. */
export async function makeGitRepo(dir: string): Promise<{ first: string; second: string }> {
  const env = {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'a',
    GIT_AUTHOR_EMAIL: 'a@example.org',
    GIT_COMMITTER_NAME: 'a',
    GIT_COMMITTER_EMAIL: 'a@example.org',
  };
  await mkdir(dir, { recursive: true });
  await writeFakeKernel(dir);
  await run('git', ['init', '-q', '-b', 'main'], { cwd: dir, env });
  await run('git', ['add', '-A', '-f'], { cwd: dir, env });
  await run('git', ['commit', '-q', '-m', 'v2.6.9'], { cwd: dir, env });
  await run('git', ['tag', '-a', 'v2.6.9', '-m', 'Linux 2.6.9'], { cwd: dir, env });
  const first = (await run('git', ['rev-parse', 'HEAD'], { cwd: dir, env })).stdout.trim();
  await writeFile(join(dir, 'Makefile'), 'VERSION = 2\nPATCHLEVEL = 6\nSUBLEVEL = 10\nEXTRAVERSION = -rc1\n');
  await run('git', ['commit', '-q', '-am', 'v2.6.10-rc1'], { cwd: dir, env });
  const second = (await run('git', ['rev-parse', 'HEAD'], { cwd: dir, env })).stdout.trim();
  return { first, second };
}
