// Records travel: `tiny store export` writes one deterministic tar, `tiny store import` makes a
// union of content-keyed records. The same key with other content is an error naming both
// places and imports nothing; an ok build replaces a failed one, never the other way; exports
// of a newer format, damaged or foreign tars are refused; latest-run entries of shards merge
// in the plan's order.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportStore, importStores, recordContent } from '../../src/store/export.js';
import { listRecords, lookup, openRecordStore, readRunIndex, recordDir, recordKey, save, writeRunIndex, type BuildInputs, type BuildRecordDraft, type RecordStore } from '../../src/store/index.js';
import { createTar } from '../../src/util/tar.js';
import { TinyError } from '../../src/util/diagnostics.js';
import { sha256 } from '../../src/util/fs.js';
import { sh } from '../helpers/cli.js';

const H = (c: string) => c.repeat(64);
const inputs = (config: string): BuildInputs => ({
  baseTree: 'a'.repeat(40),
  patches: [H('1')],
  config,
  toolchain: { name: 'gcc-12-i386', image: 'sha256:' + H('d') },
  arch: 'i386',
  makeVariables: { ARCH: 'i386' },
  env: { KBUILD_BUILD_TIMESTAMP: '@0' },
  targets: ['vmlinux'],
  toolVersion: '0.1.0',
  runtime: 'host',
});

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tiny-store-export-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A store (cache dir `name`) with one record per toggle; vmlinux bytes per toggle may be given. */
async function storeWith(name: string, toggles: Array<{ toggle: string; vmlinux?: string; status?: 'ok' | 'failed'; finishedAt?: string }>): Promise<RecordStore> {
  const store = await openRecordStore(join(dir, name));
  const files = join(dir, name, 'files');
  await mkdir(files, { recursive: true });
  for (const t of toggles) {
    const vmlinux = join(files, `${t.toggle}.vmlinux`);
    const config = join(files, `${t.toggle}.config`);
    const log = join(files, `${t.toggle}.log`);
    await writeFile(vmlinux, t.vmlinux ?? `vmlinux of ${t.toggle}`);
    await writeFile(config, `CONFIG_${t.toggle.toUpperCase().replace(/\W/g, '_')}=y\n`);
    await writeFile(log, `make in ${files}\n`); // a log names host paths: not part of the content
    const draft: BuildRecordDraft = {
      inputs: inputs(sha256(`config of ${t.toggle}`)),
      config: 'webserver',
      toggle: { name: t.toggle },
      patches: [],
      status: t.status ?? 'ok',
      hermetic: false,
      startedAt: '2024-01-01T00:00:00.000Z',
      finishedAt: t.finishedAt ?? '2024-01-01T00:01:00.000Z',
      durationsMs: { build: 60_000 },
      diagnostics: { warnings: 0, errors: 0 },
    };
    await save(store, draft, { ...(t.status === 'failed' ? {} : { vmlinux }), config, symbols: [], log });
  }
  return store;
}

async function fails(p: Promise<unknown>): Promise<TinyError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TinyError) return e;
    throw e;
  }
  throw new Error('expected a TinyError');
}

describe('tiny store export', () => {
  it('writes the same bytes for the same records (sorted paths, mtime 0, no clock)', async () => {
    const store = await storeWith('a', [{ toggle: 'base' }, { toggle: 'queue' }]);
    const one = await exportStore(store, { out: join(dir, 'one.tar') });
    const two = await exportStore(store, { out: join(dir, 'two.tar') });
    expect(one.records).toBe(2);
    expect(sha256(await readFile(join(dir, 'one.tar')))).toBe(sha256(await readFile(join(dir, 'two.tar'))));
    const listing = (await sh('tar', ['-tvf', join(dir, 'one.tar')])).trim().split('\n');
    expect(listing.every((l) => / root\/root .* 1970-01-01 00:00 /.test(l))).toBe(true);
    expect(listing.map((l) => l.split(/\s+/).at(-1)).filter((p) => p!.endsWith('metadata.json') || p === 'tiny-store.json')).toHaveLength(3);
    expect(two.bytes % 10240).toBe(0);
  });

  it("leaves out a record's boot/ directory (boots made on this machine), and the import takes the record", async () => {
    const store = await storeWith('a', [{ toggle: 'queue' }]);
    const [record] = await listRecords(store);
    await mkdir(join(recordDir(store, record!.key), 'boot'), { recursive: true });
    await writeFile(join(recordDir(store, record!.key), 'boot', 'mem-2048-kernel.json'), '{}\n');
    await exportStore(store, { out: join(dir, 'one.tar') });
    const listing = await sh('tar', ['-tf', join(dir, 'one.tar')]);
    expect(listing).not.toContain('boot');
    const other = await openRecordStore(join(dir, 'b'));
    expect((await importStores(other, [join(dir, 'one.tar')])).added).toBe(1);
  });

  it('--keys takes unique prefixes; an unknown one is an error', async () => {
    const store = await storeWith('a', [{ toggle: 'base' }, { toggle: 'queue' }]);
    const [base] = await listRecords(store, { toggle: 'base' });
    const s = await exportStore(store, { out: join(dir, 'k.tar'), keys: [base!.key.slice(0, 10)] });
    expect(s.records).toBe(1);
    expect((await fails(exportStore(store, { out: join(dir, 'x.tar'), keys: ['ffffffffff'] }))).message).toMatch(/^--keys: no record ffffffffff in /);
  });
});

describe('tiny store import', () => {
  it('is a union: new keys added, equal ones kept, the latest-run entries of shards merged in plan order', async () => {
    const order = ['base', 'queue', 'flip:a', 'flip:b'];
    const s1 = await storeWith('s1', [{ toggle: 'flip:a' }, { toggle: 'base' }]);
    const s2 = await storeWith('s2', [{ toggle: 'queue' }, { toggle: 'flip:b' }, { toggle: 'base' }]);
    for (const [s, ts] of [
      [s1, ['base', 'flip:a']],
      [s2, ['base', 'queue', 'flip:b']],
    ] as const) {
      const recs = await listRecords(s);
      await writeRunIndex(s.cacheDir, {
        config: 'webserver',
        startedAt: '2024-01-01T00:00:00.000Z',
        toggles: ts.map((t) => ({ toggle: t, key: recs.find((r) => r.toggle.name === t)!.key, status: 'ok' })),
        inputs: H('9'),
        order,
      });
    }
    await exportStore(s1, { out: join(dir, '1.tar'), config: 'webserver' });
    await exportStore(s2, { out: join(dir, '2.tar'), config: 'webserver' });
    const merged = await openRecordStore(join(dir, 'merged'));
    const sum = await importStores(merged, [join(dir, '1.tar'), join(dir, '2.tar')]);
    expect(sum).toMatchObject({ added: 4, same: 0, replaced_failed: 0, kept_ok: 0, runs: [{ config: 'webserver', toggles: 4 }], notes: [] });
    expect((await readRunIndex(merged.cacheDir, 'webserver'))!.toggles.map((t) => t.toggle)).toEqual(order);
    // The records are whole: every artifact readable and as exported.
    for (const r of await listRecords(s2)) expect(recordContent((await lookup(merged, r.key))!)).toEqual(recordContent(r));
    expect(await importStores(merged, [join(dir, '2.tar')])).toMatchObject({ added: 0, same: 3 });
  });

  it('the same key with other bytes is an error naming both, and nothing is imported', async () => {
    const a = await storeWith('a', [{ toggle: 'queue', vmlinux: 'bytes of machine A' }, { toggle: 'base' }]);
    const b = await storeWith('b', [{ toggle: 'queue', vmlinux: 'bytes of machine B' }]);
    await exportStore(a, { out: join(dir, 'a.tar') });
    await exportStore(b, { out: join(dir, 'b.tar') });
    const key = (await listRecords(a, { toggle: 'queue' }))[0]!.key;
    expect((await listRecords(b, { toggle: 'queue' }))[0]!.key).toBe(key);

    const target = await openRecordStore(join(dir, 'target'));
    const e = await fails(importStores(target, [join(dir, 'a.tar'), join(dir, 'b.tar')]));
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe('nothing imported: 1 conflict');
    expect(e.diagnostics).toEqual([
      expect.objectContaining({
        file: join(dir, 'b.tar'),
        message: `record ${key} (webserver queue) was built with other bytes here than in ${join(dir, 'a.tar')}: vmlinux sha256 ${sha256('bytes of machine B').slice(0, 12)}… here, ${sha256('bytes of machine A').slice(0, 12)}… in ${join(dir, 'a.tar')}`,
        hint: expect.stringContaining('not reproducible'),
      }),
    ]);
    expect(await listRecords(target)).toEqual([]);

    // Against the store: A's records are in; B's differs from the stored one.
    await importStores(target, [join(dir, 'a.tar')]);
    const e2 = await fails(importStores(target, [join(dir, 'b.tar')]));
    expect(e2.diagnostics[0]!.message).toContain(
      `was built with other bytes here than in the store (${join(dir, 'target', 'records', key.slice(0, 2), key)}, built 2024-01-01T00:01:00.000Z): vmlinux sha256 ${sha256('bytes of machine B').slice(0, 12)}… here, ${sha256('bytes of machine A').slice(0, 12)}… in the store`,
    );
    expect(recordContent((await lookup(target, key))!).vmlinux).toBe(sha256('bytes of machine A'));
  });

  it('an ok build replaces a failed one of the same key; a failed one never replaces an ok one', async () => {
    const failed = await storeWith('f', [{ toggle: 'queue', status: 'failed' }]);
    const ok = await storeWith('o', [{ toggle: 'queue' }]);
    await exportStore(failed, { out: join(dir, 'f.tar') });
    await exportStore(ok, { out: join(dir, 'o.tar') });
    const target = await openRecordStore(join(dir, 't'));
    await importStores(target, [join(dir, 'f.tar')]);
    expect(await importStores(target, [join(dir, 'o.tar')])).toMatchObject({ added: 0, replaced_failed: 1 });
    expect(await importStores(target, [join(dir, 'f.tar')])).toMatchObject({ added: 0, kept_ok: 1 });
    expect((await listRecords(target))[0]!.status).toBe('ok');
  });

  it('refuses a newer export format, a damaged record and a tar that is not an export', async () => {
    const store = await storeWith('a', [{ toggle: 'base' }]);
    await exportStore(store, { out: join(dir, 'a.tar') });
    const unpacked = join(dir, 'u');
    await mkdir(unpacked);
    await sh('tar', ['-xf', join(dir, 'a.tar'), '-C', unpacked]);
    const target = await openRecordStore(join(dir, 't'));
    const repack = async (name: string, edit: (files: Map<string, Buffer>) => void) => {
      const list = (await sh('tar', ['-tf', join(dir, 'a.tar')]))
        .trim()
        .split('\n')
        .filter((p) => !p.endsWith('/'));
      const files = new Map<string, Buffer>();
      for (const p of list) files.set(p, await readFile(join(unpacked, p)));
      edit(files);
      await writeFile(
        join(dir, name),
        createTar(
          [...files].map(([path, data]) => ({ path, data })),
          0,
        ),
      );
      return join(dir, name);
    };

    const newer = await repack('newer.tar', (f) => f.set('tiny-store.json', Buffer.from(f.get('tiny-store.json')!.toString().replace('"schema_version": 1', '"schema_version": 2'))));
    const e1 = await fails(importStores(target, [newer]));
    expect(e1.exitCode).toBe(2);
    expect(e1.message).toBe(`${newer}: store export schema_version 2; this tiny reads version 1`);

    const damaged = await repack('damaged.tar', (f) => {
      const vm = [...f.keys()].find((p) => p.endsWith('vmlinux.gz'))!;
      f.set(vm, Buffer.concat([f.get(vm)!, Buffer.from('x')]));
    });
    expect((await fails(importStores(target, [damaged]))).message).toMatch(/damaged\.tar: record [0-9a-f]{64}: vmlinux\.gz does not match its sha256 in the manifest$/);

    const foreign = join(dir, 'foreign.tar');
    await writeFile(foreign, createTar([{ path: 'etc/passwd', data: Buffer.from('root:x:0:0\n') }], 0));
    expect((await fails(importStores(target, [foreign]))).message).toBe(`${foreign}: an unexpected directory "etc/": not a tiny store export`);
    expect((await fails(importStores(target, [join(dir, 'missing.tar')]))).message).toBe(`${join(dir, 'missing.tar')}: no such file`);
    expect(await listRecords(target)).toEqual([]);
  });

  it('a record whose inputs do not hash to its key is refused', async () => {
    const store = await storeWith('a', [{ toggle: 'base' }]);
    const [r] = await listRecords(store);
    expect(recordKey(r!.inputs)).toBe(r!.key);
    await exportStore(store, { out: join(dir, 'a.tar') });
    const unpacked = join(dir, 'u');
    await mkdir(unpacked);
    await sh('tar', ['-xf', join(dir, 'a.tar'), '-C', unpacked]);
    const list = (await sh('tar', ['-tf', join(dir, 'a.tar')]))
      .trim()
      .split('\n')
      .filter((p) => !p.endsWith('/'));
    const files = new Map<string, Buffer>();
    for (const p of list) files.set(p, await readFile(join(unpacked, p)));
    // Edit the inputs and make the manifest agree: only the key check can catch it.
    const metaPath = list.find((p) => p.endsWith('metadata.json'))!;
    const meta = Buffer.from(files.get(metaPath)!.toString().replace('"arch": "i386"', '"arch": "x86_64"'));
    files.set(metaPath, meta);
    const manifest = JSON.parse(files.get('tiny-store.json')!.toString());
    const entry = manifest.records[0].files.find((f: { name: string }) => f.name === 'metadata.json');
    Object.assign(entry, { bytes: meta.length, sha256: sha256(meta) });
    files.set('tiny-store.json', Buffer.from(JSON.stringify(manifest)));
    await writeFile(
      join(dir, 'edited.tar'),
      createTar(
        [...files].map(([path, data]) => ({ path, data })),
        0,
      ),
    );
    const e = await fails(importStores(await openRecordStore(join(dir, 't')), [join(dir, 'edited.tar')]));
    expect(e.message).toMatch(/edited\.tar: record [0-9a-f]{64}: its inputs hash to [0-9a-f]{64}, not to its key$/);
  });
});
