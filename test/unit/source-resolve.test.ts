import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSource, downloadPath } from '../../src/source/index.js';
import { sha256 } from '../../src/util/fs.js';
import { makeTarball, removeDir, tempDir, writeFakeKernel } from '../helpers/kernel-tree-fixture.js';
import { expectTinyError } from '../helpers/errors.js';

let work: string;
let tarball: string;
let tarSha: string;
let server: Server;
let base: string;
let hits = 0;

beforeAll(async () => {
  work = await tempDir();
  await writeFakeKernel(join(work, 'src', 'linux-2.6.9'));
  tarball = await makeTarball(join(work, 'src'), 'linux-2.6.9', work, 'tar.gz');
  tarSha = sha256(await readFile(tarball));
  const body = await readFile(tarball);
  server = createServer((req, res) => {
    hits++;
    if (req.url === '/pub/linux-2.6.9.tar.gz') {
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    } else {
      res.writeHead(404);
      res.end('no');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await removeDir(work);
});

describe('resolveSource: local', () => {
  it('resolves a directory, and refuses a missing one (exit 2)', async () => {
    const cacheDir = join(work, 'c-dir');
    expect(await resolveSource({ kind: 'dir', path: join(work, 'src', 'linux-2.6.9') }, { cacheDir })).toEqual({
      kind: 'dir',
      path: join(work, 'src', 'linux-2.6.9'),
    });
    const e = await expectTinyError(resolveSource({ kind: 'dir', path: join(work, 'nope') }, { cacheDir }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(join(work, 'nope'));
  });

  it('hashes a tarball, verifies a given sha256 and names both on mismatch', async () => {
    const cacheDir = join(work, 'c-tar');
    expect(await resolveSource({ kind: 'tarball', path: tarball }, { cacheDir })).toEqual({ kind: 'tarball', path: tarball, sha256: tarSha });
    // Second time: from the stat-keyed hash cache, same answer.
    expect(await resolveSource({ kind: 'tarball', path: tarball, sha256: tarSha.toUpperCase() }, { cacheDir })).toMatchObject({ sha256: tarSha });
    const wrong = 'a'.repeat(64);
    const e = await expectTinyError(resolveSource({ kind: 'tarball', path: tarball, sha256: wrong }, { cacheDir }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(wrong);
    expect(e.message).toContain(tarSha);
  });

  it('finds a Debian linux-source tarball, or says which package to install', async () => {
    const usrSrc = join(work, 'usr-src');
    await mkdir(usrSrc, { recursive: true });
    const cacheDir = join(work, 'c-deb');
    const e = await expectTinyError(resolveSource({ kind: 'debian', package: 'linux-source-6.1' }, { cacheDir, usrSrc }));
    expect(e.exitCode).toBe(2);
    expect(e.hint).toBe('apt-get install linux-source-6.1');
    await writeFile(join(usrSrc, 'linux-source-6.1.tar.xz'), 'pretend');
    const r = await resolveSource({ kind: 'debian', package: 'linux-source-6.1' }, { cacheDir, usrSrc });
    expect(r).toEqual({ kind: 'tarball', path: join(usrSrc, 'linux-source-6.1.tar.xz'), sha256: sha256('pretend') });
    await expect(resolveSource({ kind: 'debian', package: 'bash' }, { cacheDir, usrSrc })).rejects.toThrow(/not a Debian kernel source package/);
  });

  it('keeps a git source as repo + ref, local paths made absolute', async () => {
    const cacheDir = join(work, 'c-git');
    expect(await resolveSource({ kind: 'git', repo: 'https://git.example.org/linux.git', ref: 'v2.6.9' }, { cacheDir })).toEqual({
      kind: 'git',
      repo: 'https://git.example.org/linux.git',
      ref: 'v2.6.9',
    });
    await expect(resolveSource({ kind: 'git', repo: join(work, 'no-repo'), ref: 'main' }, { cacheDir })).rejects.toThrow(/does not exist/);
  });
});

describe('resolveSource: URL + sha256 (loopback server)', () => {
  it('downloads once into <cache>/downloads/<basename>, verified', async () => {
    const cacheDir = join(work, 'c-url');
    const url = `${base}/pub/linux-2.6.9.tar.gz`;
    const before = hits;
    const r = await resolveSource({ kind: 'url', url, sha256: tarSha }, { cacheDir });
    expect(r).toEqual({ kind: 'tarball', path: join(cacheDir, 'downloads', 'linux-2.6.9.tar.gz'), sha256: tarSha });
    expect(await readFile(r.kind === 'tarball' ? r.path : '')).toEqual(await readFile(tarball));
    await resolveSource({ kind: 'url', url, sha256: tarSha }, { cacheDir });
    expect(hits - before).toBe(1);
    // No .part file left behind.
    expect(await readdir(join(cacheDir, 'downloads'))).toEqual(['linux-2.6.9.tar.gz']);
  });

  it('names both hashes when the download does not match, and keeps nothing', async () => {
    const cacheDir = join(work, 'c-url-bad');
    const wrong = 'b'.repeat(64);
    const e = await expectTinyError(resolveSource({ kind: 'url', url: `${base}/pub/linux-2.6.9.tar.gz`, sha256: wrong }, { cacheDir }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(wrong);
    expect(e.message).toContain(tarSha);
    expect(await readdir(join(cacheDir, 'downloads'))).toEqual([]);
  });

  it('when offline, says which file to put where', async () => {
    const cacheDir = join(work, 'c-offline');
    // A port nothing listens on: bind one, note it, close it.
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const url = `http://127.0.0.1:${port}/pub/linux-2.6.9.tar.bz2`;
    const e = await expectTinyError(resolveSource({ kind: 'url', url, sha256: tarSha }, { cacheDir }));
    const dest = downloadPath(url, cacheDir);
    expect(dest).toBe(join(cacheDir, 'downloads', 'linux-2.6.9.tar.bz2'));
    expect(e.message).toContain('(offline?)');
    expect(e.message).toContain(`Put linux-2.6.9.tar.bz2 (sha256 ${tarSha}) at ${dest} and run again`);
    // ...and doing what it says works without the network.
    await mkdir(join(cacheDir, 'downloads'), { recursive: true });
    await writeFile(dest, await readFile(tarball));
    expect(await resolveSource({ kind: 'url', url, sha256: tarSha }, { cacheDir })).toEqual({ kind: 'tarball', path: dest, sha256: tarSha });
  });

  it("without a sha256 (the base pins the tree instead): downloads once and reports the file's sha256", async () => {
    const cacheDir = join(work, 'c-url-unpinned');
    const url = `${base}/pub/linux-2.6.9.tar.gz`;
    const before = hits;
    expect(await resolveSource({ kind: 'url', url }, { cacheDir })).toEqual({ kind: 'tarball', path: downloadPath(url, cacheDir), sha256: tarSha });
    expect(await resolveSource({ kind: 'url', url }, { cacheDir })).toMatchObject({ sha256: tarSha });
    expect(hits - before).toBe(1);
  });

  it('reports an HTTP error the same way', async () => {
    const cacheDir = join(work, 'c-404');
    const e = await expectTinyError(resolveSource({ kind: 'url', url: `${base}/pub/missing.tar.gz`, sha256: tarSha }, { cacheDir }));
    expect(e.message).toMatch(/HTTP 404/);
    expect(e.message).toContain(join(cacheDir, 'downloads', 'missing.tar.gz'));
  });

  it('uses the injected fetch', async () => {
    const cacheDir = join(work, 'c-inject');
    const body = await readFile(tarball);
    const fake = (async () => new Response(body)) as unknown as typeof fetch;
    const r = await resolveSource({ kind: 'url', url: 'https://cdn.example.org/x/linux-2.6.9.tar.gz', sha256: tarSha }, { cacheDir, fetch: fake });
    expect(r).toMatchObject({ kind: 'tarball', sha256: tarSha });
  });
});
