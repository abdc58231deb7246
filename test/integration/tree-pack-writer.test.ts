// Packs written by tiny's own pack writer, read back by git: every object as written, the packs
// and their indexes verified by `git verify-pack` and `git fsck --strict`, an object written
// twice packed once, and nothing but finished packs left in objects/pack.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectId } from '../../src/util/git-object.js';
import { packedObjectIds, PackWriter, SEGMENT_BYTES } from '../../src/tree/pack-writer.js';
import { run } from '../../src/util/exec.js';
import { removeDir, tempDir } from '../helpers/kernel-tree-fixture.js';

let work: string;
beforeAll(async () => {
  work = await tempDir();
});
afterAll(() => removeDir(work));

async function newRepo(name: string): Promise<string> {
  const gitDir = join(work, name);
  await run('git', ['init', '--quiet', '--bare', gitDir]);
  return gitDir;
}

const catFile = async (gitDir: string, oid: Buffer) => (await run('git', ['--git-dir', gitDir, 'cat-file', 'blob', oid.toString('hex')], { binary: true })).stdoutBuffer!;

describe('PackWriter', () => {
  it('writes blobs and trees that git reads back byte for byte, in packs git verifies', async () => {
    const gitDir = await newRepo('a.git');
    const packs = new PackWriter(join(gitDir, 'objects', 'pack'));
    const bodies = [Buffer.alloc(0), Buffer.from('hello\n'), Buffer.from([0xe9, 0x00, 0xff, 0x0a]), Buffer.alloc(200_000, 'x')];
    const oids: Buffer[] = [];
    for (const body of bodies) {
      // Handed over in uneven pieces, as a tar stream gives them.
      const o = packs.begin('blob', body.length);
      for (let at = 0; at < body.length; at += 7777) o.write(body.subarray(at, at + 7777));
      oids.push(o.end());
    }
    const twice = packs.begin('blob', 6);
    twice.write(Buffer.from('hello\n'));
    expect(twice.end()).toEqual(oids[1]);
    const treeBody = Buffer.concat([Buffer.from('100644 hello\0'), oids[1]!]);
    const tree = objectId('tree', treeBody);
    packs.add('tree', tree, treeBody);
    const names = await packs.finish();

    expect(names).toHaveLength(1);
    for (const [i, body] of bodies.entries()) {
      expect(oids[i]!.toString('hex')).toBe((await run('git', ['hash-object', '--stdin'], { input: body })).stdout.trim());
      expect((await catFile(gitDir, oids[i]!)).equals(body)).toBe(true);
    }
    expect((await run('git', ['--git-dir', gitDir, 'ls-tree', tree.toString('hex')])).stdout).toBe(`100644 blob ${oids[1]!.toString('hex')}\thello\n`);
    const verified = (await run('git', ['verify-pack', '-v', join(gitDir, 'objects', 'pack', `${names[0]}.idx`)])).stdout;
    expect(verified).toMatch(/^non delta: 5 objects$/m); // "hello" once
    await run('git', ['--git-dir', gitDir, 'fsck', '--full', '--strict']);
    expect((await readdir(join(gitDir, 'objects', 'pack'))).sort()).toEqual([`${names[0]}.idx`, `${names[0]}.pack`]);
  });

  it('starts a new pack when one is full, and packs an object bigger than a pack alone; objects open across the change stay whole', async () => {
    const gitDir = await newRepo('b.git');
    const packs = new PackWriter(join(gitDir, 'objects', 'pack'));
    const big = Buffer.alloc(SEGMENT_BYTES + 1000, 'b');
    const half = Buffer.alloc(SEGMENT_BYTES / 2, 'h');
    const first = packs.begin('blob', half.length);
    // A second object begun while the first is still open: the pack waits for both to end.
    const second = packs.begin('blob', half.length - 100_000);
    const third = packs.begin('blob', big.length); // does not fit: a pack of its own
    second.write(half.subarray(100_000));
    third.write(big);
    first.write(half);
    const ids = [first.end(), second.end(), third.end()];
    const names = await packs.finish();
    expect(names).toHaveLength(2);
    for (const name of names) await run('git', ['verify-pack', join(gitDir, 'objects', 'pack', `${name}.idx`)]);
    expect((await catFile(gitDir, ids[0]!)).equals(half)).toBe(true);
    expect((await catFile(gitDir, ids[1]!)).equals(half.subarray(100_000))).toBe(true);
    expect((await catFile(gitDir, ids[2]!)).length).toBe(big.length);
  });

  it('packs only what the repository (or one it borrows from) does not have yet', async () => {
    const first = await newRepo('known-a.git');
    const a = Buffer.from('in the first repository\n');
    const one = new PackWriter(join(first, 'objects', 'pack'));
    one.add('blob', objectId('blob', a), a);
    await one.finish();
    // A second repository that borrows the first one's objects, as a shared tree store does.
    const second = await newRepo('known-b.git');
    await mkdir(join(second, 'objects', 'info'), { recursive: true });
    await writeFile(join(second, 'objects', 'info', 'alternates'), `${join(first, 'objects')}\n`);
    const known = await packedObjectIds(join(second, 'objects'));
    expect(known.has(objectId('blob', a).toString('latin1'))).toBe(true);
    const b = Buffer.from('only in the second\n');
    const two = new PackWriter(join(second, 'objects', 'pack'), known);
    for (const body of [a, b]) {
      const o = two.begin('blob', body.length);
      o.write(body);
      o.end();
    }
    const [name] = await two.finish();
    expect((await run('git', ['verify-pack', '-v', join(second, 'objects', 'pack', `${name}.idx`)])).stdout).toMatch(/^non delta: 1 objects?$/m);
    expect((await catFile(second, objectId('blob', a))).equals(a)).toBe(true);
    expect((await catFile(second, objectId('blob', b))).equals(b)).toBe(true);
    // Nothing new at all: no pack.
    const three = new PackWriter(join(second, 'objects', 'pack'), await packedObjectIds(join(second, 'objects')));
    three.add('blob', objectId('blob', b), b);
    expect(await three.finish()).toEqual([]);
  });

  it('gives the memory of its packs back when it finishes, not when the garbage collector runs', async () => {
    // A process hundreds of MB larger forks each git and podman it spawns more slowly.
    const gitDir = await newRepo('memory.git');
    const packs = new PackWriter(join(gitDir, 'objects', 'pack'));
    const before = process.memoryUsage().rss;
    const body = Buffer.alloc(1 << 20, 'm');
    for (let i = 0; i < (3 * SEGMENT_BYTES) / body.length; i++) {
      body.writeUInt32BE(i); // every object another blob
      const o = packs.begin('blob', body.length);
      o.write(body);
      o.end();
    }
    const names = await packs.finish();
    expect(names.length).toBeGreaterThanOrEqual(3);
    // Three packs of SEGMENT_BYTES were held in memory; what is left is far less than one.
    expect(process.memoryUsage().rss - before).toBeLessThan(SEGMENT_BYTES / 2);
    expect(() => packs.begin('blob', 1)).toThrow('an object begun after finish()');
  });

  it('refuses more or fewer bytes than an object was begun with', () => {
    const packs = new PackWriter(join(work, 'unused'));
    const o = packs.begin('blob', 3);
    expect(() => o.write(Buffer.from('four'))).toThrow('object of 3 bytes handed 4');
    const p = packs.begin('blob', 3);
    p.write(Buffer.from('tw'));
    expect(() => p.end()).toThrow('object of 3 bytes ended after 2');
  });
});
