// `tiny build --no-ccache` on the fake kernel (host runtime, the host's gcc and ccache): every
// toggle compiled with ccache off, nothing read from or added to the cache's ccache, and the
// same records as a run with ccache (keys, sizes and sha256), so each run serves the other.
// (The same on 2.6.9 in a container: test/e2e/build-2.6.test.ts.)

import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRecords, openRecordStore } from '../../src/store/index.js';
import { tempCache, tiny } from '../helpers/cli.js';
import { expectContract } from '../helpers/json-contract.js';

const FIX = 'test/fixtures/build';
const BUILD = ['build', '--config', `${FIX}/configs/fake-tiny.yaml`, '--queue', `${FIX}/fake-queue`, '--runtime', 'host'];

/** Files under a directory, recursively (ccache's own bookkeeping included). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

async function artifacts(cache: string): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const r of await listRecords(await openRecordStore(cache), { status: 'ok' })) {
    out[r.key] = Object.fromEntries(Object.entries(r.artifacts).flatMap(([name, a]) => (name === 'log' ? [] : [[name, `${a!.bytes} ${a!.sha256}`]])));
  }
  return out;
}

describe('tiny build --no-ccache', () => {
  let off: string;
  let on: string;
  beforeAll(async () => {
    off = await tempCache('tiny-no-ccache-');
    on = await tempCache('tiny-with-ccache-');
  });
  afterAll(async () => {
    await rm(off, { recursive: true, force: true });
    await rm(on, { recursive: true, force: true });
  });

  it('compiles every toggle with ccache off: nothing in the ccache directory, no ccache note in the records', async () => {
    const r = await tiny([...BUILD, '--no-ccache'], { env: { TINY_CACHE: off } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^6 toggles: 5 built, 1 cached, 0 failed/m);
    expect(r.stderr).toMatch(/^tiny: ccache: off \(--no-ccache\): nothing was looked up in it or added to it$/m);
    expect(await filesUnder(join(off, 'ccache'))).toEqual([]);
    const records = await listRecords(await openRecordStore(off), { status: 'ok' });
    expect(records).toHaveLength(5);
    for (const rec of records) {
      expect(rec.ccache).toBeUndefined();
      // CC keeps ccache: the same make variables, and so the same key, as a run with it.
      expect(rec.inputs.makeVariables.CC).toBe('ccache i686-linux-gnu-gcc');
      const metadata = JSON.parse(await readFile(join(off, 'records', rec.key.slice(0, 2), rec.key, 'metadata.json'), 'utf8')) as { ccache: unknown };
      expectContract('record', metadata);
      expect(metadata.ccache).toBeNull();
    }
  });

  it('gives the records a run with ccache gives, byte for byte, and each run serves the other', async () => {
    const r = await tiny(BUILD, { env: { TINY_CACHE: on } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^tiny: ccache: \d+ of \d+ compilations were hits$/m);
    expect(await filesUnder(join(on, 'ccache'))).not.toEqual([]);
    expect(await artifacts(off)).toEqual(await artifacts(on));
    const again = await tiny([...BUILD, '--no-ccache'], { env: { TINY_CACHE: on } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^6 toggles: 0 built, 6 cached, 0 failed/m);
  });

  it('refuses --no-ccache with --ccache-remote before building anything', async () => {
    const r = await tiny([...BUILD, '--no-ccache', '--ccache-remote', 'redis://127.0.0.1:1'], { env: { TINY_CACHE: off } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--no-ccache and --ccache-remote: a run with ccache off reads no remote either/);
    expect(r.stderr).toMatch(/leave one of them out/);
  });
});
