// Where a queue's base tree comes from: the sources queue.yaml lists, tried in order, and the
// tree store once any of them has given the pinned tree. Offline with nothing at hand, the
// message says what to download and where to put it.

import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBases } from '../../src/pipeline/bases.js';
import type { Queue } from '../../src/queue/types.js';
import { downloadPath } from '../../src/source/index.js';
import { importBase, openTreeStore } from '../../src/tree/index.js';
import { expectTinyError } from '../helpers/errors.js';
import { makeTarball, removeDir, tempDir, writeFakeKernel } from '../helpers/kernel-tree-fixture.js';

let work: string;
let tarball: string;
let pinned: string;
let deadUrl: string;

beforeAll(async () => {
  work = await tempDir();
  await writeFakeKernel(join(work, 'src', 'linux-2.6.9'));
  tarball = await makeTarball(join(work, 'src'), 'linux-2.6.9', work, 'tar.xz');
  const scratch = await openTreeStore(join(work, 'scratch-cache'));
  pinned = (await importBase(scratch, { kind: 'dir', path: join(work, 'src', 'linux-2.6.9') })).tree;
  // A port nothing listens on: bind one, note it, close it.
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  deadUrl = `http://127.0.0.1:${port}/pub/linux/kernel/v2.6/linux-2.6.9.tar.xz`;
});

afterAll(async () => removeDir(work));

const queueWith = (sources: Queue['base']['sources']): Queue => ({ base: { version: '2.6.9', tree: pinned, sources }, otherBases: [] }) as unknown as Queue;

describe('resolveBases: the queue base from its listed sources', () => {
  it('offline, with neither the tarball nor the tree at hand: names what to download and where to put it', async () => {
    const cacheDir = join(work, 'c-offline');
    const store = await openTreeStore(cacheDir);
    const q = queueWith([
      { kind: 'url', url: deadUrl },
      { kind: 'tarball', path: join(work, 'missing', 'linux-2.6.9.tar.xz') },
      { kind: 'dir', path: join(work, 'missing', 'linux-2.6.9') },
    ]);
    const e = await expectTinyError(resolveBases(q, store, cacheDir, {}));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/^no source of base 2\.6\.9 could be used:/);
    expect(e.message).toContain(`${deadUrl}: download ${deadUrl} failed (offline?)`);
    expect(e.hint).toBe(
      `download ${deadUrl} to ${downloadPath(deadUrl, cacheDir)}; or put the 2.6.9 tarball at ${join(work, 'missing', 'linux-2.6.9.tar.xz')}; ` +
        `or unpack an unmodified 2.6.9 tree into ${join(work, 'missing', 'linux-2.6.9')}; or fix base.sources in queue.yaml (any of them is checked against base.tree ${pinned.slice(0, 12)})`,
    );
  });

  it('the first source that works gives the base; afterwards the pinned tree comes from the store, no source read', async () => {
    const cacheDir = join(work, 'c-order');
    const store = await openTreeStore(cacheDir);
    const [first] = await resolveBases(
      queueWith([
        { kind: 'url', url: deadUrl },
        { kind: 'tarball', path: tarball },
      ]),
      store,
      cacheDir,
      {},
    );
    expect(first).toMatchObject({ version: '2.6.9', tree: pinned, origin: tarball });
    // Every source gone: the store still has the pinned tree, and the same commit.
    const [again] = await resolveBases(queueWith([{ kind: 'url', url: deadUrl }]), store, cacheDir, {});
    expect(again).toEqual({ version: '2.6.9', tree: pinned, commit: first!.commit, origin: `the tree store (tree ${pinned.slice(0, 12)})` });
  });
});
