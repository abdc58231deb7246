// tiny boot's checks before anything is built: bad options exit 2; no qemu exits 1 with the
// command that installs it (the kernel is not built for nothing).

import { describe, expect, it } from 'vitest';
import { tempCache, tiny } from '../helpers/cli.js';

describe('tiny boot (CLI, before building)', () => {
  it('refuses a bad --mem and --timeout with exit 2', async () => {
    const cache = await tempCache();
    const r = await tiny(['boot', '--config', 'webserver', '--mem', 'lots'], { env: { TINY_CACHE: cache } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("tiny: --mem: not a memory size: 'lots' (e.g. 16M, 2048K)");
    const t = await tiny(['boot', '--config', 'webserver', '--timeout', '0'], { env: { TINY_CACHE: cache } });
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('--timeout must be a positive number of seconds');
  });

  it('without qemu: exit 1 and the apt-get command, before any build', async () => {
    const cache = await tempCache();
    const r = await tiny(['boot', '--config', 'webserver'], { env: { TINY_CACHE: cache, PATH: '/nonexistent' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tiny: qemu-system-i386 is not installed: tiny boot runs the kernel under it');
    expect(r.stderr).toContain('hint: sudo apt-get install -y qemu-system-x86');
    expect(r.stderr).not.toContain('building');
  });
});
