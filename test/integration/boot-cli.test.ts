// tiny boot's checks before anything is built: bad options exit 2; no qemu exits 1 with the
// command that installs it (the kernel is not built for nothing).

import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { tempCache, tiny } from '../helpers/cli.js';

describe('tiny boot (CLI, before building)', () => {
  const caches: string[] = [];
  const cacheDir = async () => {
    caches.push(await tempCache());
    return caches.at(-1)!;
  };
  afterAll(async () => {
    for (const c of caches) await rm(c, { recursive: true, force: true });
  });

  it('refuses a bad --mem and --timeout with exit 2', async () => {
    const cache = await cacheDir();
    const r = await tiny(['boot', '--config', 'webserver', '--mem', 'lots'], { env: { TINY_CACHE: cache } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("tiny: --mem: not a memory size: 'lots' (e.g. 16M, 2048K)");
    const t = await tiny(['boot', '--config', 'webserver', '--timeout', '0'], { env: { TINY_CACHE: cache } });
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('--timeout must be a positive number of seconds');
  });

  it('--limit kernel: refuses an initramfs root and a mem= above the machine, with exit 2', async () => {
    const cache = await cacheDir();
    const r = await tiny(['boot', '--config', 'webserver', '--limit', 'kernel', '--mem', '2M', '--root', 'initramfs'], { env: { TINY_CACHE: cache } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("tiny: --limit kernel needs --root disk: qemu puts the initramfs at the top of the machine's memory, above mem=2M, and the kernel drops it");
    expect(r.stderr).toContain('hint: tiny boot --root disk (the kernel needs BLK_DEV_IDEDISK and EXT2_FS), or --limit machine');
    const m = await tiny(['boot', '--config', 'webserver', '--limit', 'kernel', '--mem', '64M', '--machine-mem', '32M'], { env: { TINY_CACHE: cache } });
    expect(m.code).toBe(2);
    expect(m.stderr).toContain("tiny: --mem 64M is more than the machine's --machine-mem 32M: mem= can only take memory away");
    const s = await tiny(['boot', '--config', 'webserver', '--limit', 'kernel', '--mem', '2050K', '--find-min-mem'], { env: { TINY_CACHE: cache } });
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('tiny: --mem must be a multiple of 4K above 1M for --find-min-mem');
  });

  it('without qemu: exit 1 and the apt-get command, before any build', async () => {
    const cache = await cacheDir();
    const r = await tiny(['boot', '--config', 'webserver'], { env: { TINY_CACHE: cache, PATH: '/nonexistent' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tiny: qemu-system-i386 is not installed: tiny boot runs the kernel under it');
    expect(r.stderr).toContain('hint: sudo apt-get install -y qemu-system-x86');
    expect(r.stderr).not.toContain('building');
  });
});
