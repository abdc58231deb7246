// The gcc-12-i386 toolchain image, for real, with podman: built (or reused: the tag is a
// content address, so an image built earlier by `tiny toolchain build` or a previous run is
// the right one), then run with --network=none, a read-only source mount and a clean
// environment. A cold build takes minutes (mmdebstrap + apt-get); it happens once.
// Skips, saying why, when podman is not usable here.

import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadToolchain } from '../../src/toolchain/definitions.js';
import { ensureImage, formatMs, imageTag, type ImageRef } from '../../src/toolchain/image.js';
import { CONTAINER_PATHS, EngineRuntime, probeRuntime, type Mount } from '../../src/toolchain/runtime.js';
import type { Toolchain } from '../../src/toolchain/types.js';

const ROOT = resolve(__dirname, '../..');
const probe = await probeRuntime('podman');
if (!probe.usable) {
  console.warn(`toolchain-podman: skipped: ${probe.detail}${probe.fix ? ` (fix: ${probe.fix})` : ''}`);
}

describe.skipIf(!probe.usable)('gcc-12-i386 in podman', () => {
  const runtime = new EngineRuntime('podman');
  let tc: Toolchain;
  let image: ImageRef;
  let dir: string;
  let mounts: Mount[];

  beforeAll(async () => {
    tc = await loadToolchain(ROOT, 'gcc-12-i386');
    image = await ensureImage(tc, runtime, {
      onLog: (l) => {
        if (/^(pulling|cannot pull|bootstrapp|reusing|importing|building|built|STEP)/.test(l)) console.log(`  ${l}`);
      },
    });
    if (!image.cached) console.log(`  built ${image.tag} = ${image.id} in ${formatMs(image.timings.totalMs)}`);
    dir = await mkdtemp(join(tmpdir(), 'tiny-podman-'));
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src/hello.c'), 'int answer(void) { return 42; }\n');
    mounts = [
      { host: join(dir, 'src'), container: CONTAINER_PATHS.src, readonly: true },
      { host: join(dir, 'build'), container: CONTAINER_PATHS.build, readonly: false },
      { host: join(dir, 'ccache'), container: CONTAINER_PATHS.ccache, readonly: false },
    ];
  }, 45 * 60_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const run = (cmd: string[], env: Record<string, string> = {}) => runtime.runInContainer({ image: image.id, workdir: CONTAINER_PATHS.build, mounts, env, network: 'none', cmd, timeoutMs: 120_000 });

  it('is tagged by content and named by ID', () => {
    expect(image.tag).toBe(imageTag(tc));
    expect(image.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('runs i686-linux-gnu-gcc --version with --network=none', async () => {
    const r = await run(['i686-linux-gnu-gcc', '--version']);
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/^i686-linux-gnu-gcc \(Debian 12\.[0-9.-]+\) 12\./);
    expect(r.argv).toContain('--network=none');
    expect(r.argv).toContain(image.id);
    expect(r.hermetic).toBe(true);
  });

  it('has no network but loopback', async () => {
    const r = await run(['ls', '/sys/class/net']);
    expect(r.code).toBe(0);
    expect(r.output.trim()).toBe('lo');
  });

  it('mounts the source read-only and the build directory writable', async () => {
    const bad = await run(['sh', '-c', 'touch /tiny/src/new-file']);
    expect(bad.code).not.toBe(0);
    expect(bad.output).toMatch(/Read-only file system/);
    const good = await run(['sh', '-c', 'echo written > /tiny/build/out.txt && touch /tiny/ccache/ok']);
    expect(good.code).toBe(0);
    expect(await readFile(join(dir, 'build/out.txt'), 'utf8')).toBe('written\n');
  });

  it('gives the command only the environment it was passed', async () => {
    process.env.TINY_TEST_LEAK = 'must not be seen';
    const r = await run(['env'], { KBUILD_BUILD_USER: 'tiny' });
    delete process.env.TINY_TEST_LEAK;
    const names = r.output
      .trim()
      .split('\n')
      .map((l) => l.split('=')[0])
      .sort();
    // podman itself adds HOME and HOSTNAME; the image's ENV (LANG, DEBIAN_FRONTEND...) is dropped.
    expect(names).toEqual(['HOME', 'HOSTNAME', 'KBUILD_BUILD_USER', 'PATH']);
    expect(r.output).toContain('HOSTNAME=tiny');
  });

  it('cross-compiles an i386 object into the build directory, through ccache', async () => {
    const r = await run(['ccache', 'i686-linux-gnu-gcc', '-O2', '-c', '/tiny/src/hello.c', '-o', '/tiny/build/hello.o'], { CCACHE_DIR: CONTAINER_PATHS.ccache });
    expect(r.code, r.output).toBe(0);
    const elf = await readFile(join(dir, 'build/hello.o'));
    expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(elf[4]).toBe(1); // ELFCLASS32
    expect(elf.readUInt16LE(18)).toBe(3); // EM_386
  });

  it('a second ensureImage is instant (cached)', async () => {
    const t0 = Date.now();
    const again = await ensureImage(tc, runtime);
    const ms = Date.now() - t0;
    expect(again).toMatchObject({ id: image.id, tag: image.tag, cached: true });
    expect(ms).toBeLessThan(5000);
  });
});
