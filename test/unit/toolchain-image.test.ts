// ensureImage with a fake runtime and a fake mmdebstrap: the cached path, the offline path
// (pull fails -> bootstrap -> import -> build FROM the base's ID), a toolchain that needs a
// registry, and concurrent callers building once.

import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadToolchain } from '../../src/toolchain/definitions.js';
import { bootstrapKey, bootstrapTag, ensureImage, imageTag, mmdebstrapArgs, qualifyImage, readImageRecord } from '../../src/toolchain/image.js';
import type { Exec } from '../../src/toolchain/proc.js';
import type { BuildSpec, ImageInfo, PullResult, Runtime, RunOutcome, RunSpec } from '../../src/toolchain/runtime.js';
import { TinyError } from '../../src/util/diagnostics.js';

const ROOT = resolve(__dirname, '../..');
const temps: string[] = [];
afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tiny-img-'));
  temps.push(d);
  return d;
}

const hex = (n: number): string => n.toString(16).padStart(64, '0');

/** An in-memory image store. */
class FakeRuntime implements Runtime {
  readonly name = 'podman' as const;
  readonly hermetic = true;
  readonly supportsImages = true;
  images = new Map<string, ImageInfo>();
  events: string[] = [];
  private next = 1;
  constructor(private readonly pullOk = false) {}

  private add(tag: string): string {
    const id = `sha256:${hex(this.next++)}`;
    this.images.set(tag, { id, digest: `sha256:${hex(1000 + this.next)}`, tags: [tag] });
    return id;
  }
  imageInfo(ref: string): Promise<ImageInfo | undefined> {
    return Promise.resolve(this.images.get(ref) ?? [...this.images.values()].find((i) => i.id === ref));
  }
  async imageId(ref: string): Promise<string | undefined> {
    return (await this.imageInfo(ref))?.id;
  }
  async imageExists(ref: string): Promise<boolean> {
    return (await this.imageInfo(ref)) !== undefined;
  }
  pullImage(ref: string): Promise<PullResult> {
    this.events.push(`pull ${ref}`);
    if (!this.pullOk) return Promise.resolve({ ok: false, message: 'Error: dial tcp: lookup registry-1.docker.io: no such host' });
    return Promise.resolve({ ok: true, id: this.add(ref), message: 'ok' });
  }
  async importImage(tarball: string, tag: string): Promise<string> {
    this.events.push(`import ${(await readFile(tarball, 'utf8')).trim()} ${tag}`);
    return this.add(tag);
  }
  async buildImage(spec: BuildSpec): Promise<string> {
    this.events.push(`build ${spec.tag} BASE=${spec.buildArgs?.BASE ?? ''}`);
    await new Promise((r) => setTimeout(r, 50));
    spec.onLine?.('STEP 1/2: FROM ...', 'stdout');
    return this.add(spec.tag);
  }
  fromRef(info: ImageInfo): string {
    return info.id;
  }
  runArgv(_spec: RunSpec): string[] {
    return [];
  }
  runInContainer(_spec: RunSpec): Promise<RunOutcome> {
    throw new Error('not used');
  }
  resolvePath(p: string): string {
    return p;
  }
}

/** mmdebstrap that writes a small "tarball" where it was asked to. */
function fakeMmdebstrap(calls: string[][]): Exec {
  return {
    run: (cmd) => Promise.resolve({ code: 0, stdout: cmd === 'sh' ? '/usr/bin/mmdebstrap\n' : '', stderr: '' }),
    async stream(cmd, args, opts) {
      calls.push([cmd, ...args]);
      await writeFile(args[args.length - 2]!, 'rootfs\n');
      opts?.onLine?.('I: done', 'stderr');
      return { code: 0, output: 'I: done\n', truncated: false, durationMs: 5, timedOut: false };
    },
  };
}

describe('names', () => {
  it('tags are content-addressed; base images are fully qualified', async () => {
    const t = await loadToolchain(ROOT, 'gcc-12-i386');
    expect(imageTag(t)).toBe(`tiny/gcc-12-i386:${t.contentHash.slice(0, 16)}`);
    expect(qualifyImage('debian:bookworm')).toBe('docker.io/library/debian:bookworm');
    expect(qualifyImage('debian/eol:etch')).toBe('docker.io/debian/eol:etch');
    expect(qualifyImage('quay.io/x/y:1')).toBe('quay.io/x/y:1');
    expect(qualifyImage('localhost/debian:bookworm')).toBe('localhost/debian:bookworm');
  });

  it('mmdebstrap arguments and the bootstrap key', () => {
    const b = { suite: 'bookworm', include: ['ca-certificates'] };
    expect(mmdebstrapArgs(b, '/c/out.tar')).toEqual(['--variant=minbase', '--include=ca-certificates', 'bookworm', '/c/out.tar', 'http://deb.debian.org/debian']);
    expect(mmdebstrapArgs({ ...b, mirror: 'http://m/debian' }, '/o.tar', 'linux/386')).toEqual([
      '--variant=minbase',
      '--include=ca-certificates',
      '--architectures=i386',
      'bookworm',
      '/o.tar',
      'http://m/debian',
    ]);
    expect(bootstrapKey(b)).toBe(bootstrapKey({ ...b, mirror: 'http://deb.debian.org/debian' }));
    expect(bootstrapKey(b)).not.toBe(bootstrapKey({ ...b, include: [] }));
    expect(bootstrapTag(b)).toMatch(/^tiny-base\/bookworm:[0-9a-f]{16}$/);
  });
});

describe('ensureImage', () => {
  it('offline: pull fails, mmdebstrap bootstraps the base, the build gets it by ID; then it is cached', async () => {
    const cache = await tempDir();
    const t = await loadToolchain(ROOT, 'gcc-12-i386');
    const rt = new FakeRuntime(false);
    const calls: string[][] = [];
    const log: string[] = [];
    const ref = await ensureImage(t, rt, { cacheDir: cache, exec: fakeMmdebstrap(calls), onLog: (l) => log.push(l) });
    const btag = bootstrapTag(t.bootstrap!);
    const baseId = rt.images.get(btag)!.id;
    expect(rt.events).toEqual(['pull docker.io/library/debian:bookworm', `import rootfs ${btag}`, `build ${imageTag(t)} BASE=${baseId}`]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.slice(0, 4)).toEqual(['mmdebstrap', '--variant=minbase', '--include=ca-certificates', 'bookworm']);
    expect(ref).toMatchObject({ toolchain: 'gcc-12-i386', tag: imageTag(t), id: rt.images.get(imageTag(t))!.id, cached: false, base: { source: 'bootstrapped', ref: btag, id: baseId } });
    expect(ref.base?.tarballSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ref.digest).toMatch(/^sha256:/);
    expect(ref.timings.bootstrapMs).toBeGreaterThanOrEqual(0);
    expect(ref.timings.buildMs).toBeGreaterThanOrEqual(0);
    expect(log).toContain('STEP 1/2: FROM ...');
    // the tarball is in the cache, written whole (no temporary left behind)
    expect(await readdir(join(cache, 'toolchains/bootstrap'))).toEqual([`bookworm-${bootstrapKey(t.bootstrap!)}.tar`]);
    expect(readImageRecord(cache, 'gcc-12-i386')?.id).toBe(ref.id);

    const again = await ensureImage(t, rt, { cacheDir: cache, exec: fakeMmdebstrap(calls) });
    expect(again).toMatchObject({ id: ref.id, cached: true, base: ref.base });
    expect(rt.events).toHaveLength(3);
    expect(calls).toHaveLength(1);
  });

  it('a second toolchain on the same suite reuses the bootstrapped base', async () => {
    const cache = await tempDir();
    const rt = new FakeRuntime(false);
    const calls: string[][] = [];
    await ensureImage(await loadToolchain(ROOT, 'gcc-12-i386'), rt, { cacheDir: cache, exec: fakeMmdebstrap(calls) });
    await ensureImage(await loadToolchain(ROOT, 'gcc-12-arm'), rt, { cacheDir: cache, exec: fakeMmdebstrap(calls) });
    expect(calls).toHaveLength(1);
    expect(rt.events.filter((e) => e.startsWith('import'))).toHaveLength(1);
    expect(rt.events.filter((e) => e.startsWith('pull'))).toHaveLength(1);
  });

  it('with a registry: the pulled base is used, no bootstrap', async () => {
    const cache = await tempDir();
    const rt = new FakeRuntime(true);
    const calls: string[][] = [];
    const ref = await ensureImage(await loadToolchain(ROOT, 'gcc-4.1-i386'), rt, { cacheDir: cache, exec: fakeMmdebstrap(calls) });
    expect(ref.base).toMatchObject({ source: 'pulled', ref: 'docker.io/debian/eol:etch' });
    expect(calls).toEqual([]);
  });

  it('offline, a toolchain that is not offline-buildable fails saying which image a registry must provide', async () => {
    const cache = await tempDir();
    const err = await ensureImage(await loadToolchain(ROOT, 'gcc-3.4-i386'), new FakeRuntime(false), { cacheDir: cache, exec: fakeMmdebstrap([]) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TinyError);
    const e = err as TinyError;
    expect(e.message).toBe(
      'toolchain gcc-3.4-i386 needs the image docker.io/debian/eol:sarge from a registry, and it could not be pulled (Error: dial tcp: lookup registry-1.docker.io: no such host)',
    );
    expect(e.hint).toMatch(/^Debian sarge is archived/);
    expect(e.hint).toContain('podman pull --platform linux/386 docker.io/debian/eol:sarge');
    expect(e.exitCode).toBe(1);
  });

  it('concurrent callers build once', async () => {
    const cache = await tempDir();
    const rt = new FakeRuntime(false);
    const t = await loadToolchain(ROOT, 'gcc-12-x86_64');
    const [a, b] = await Promise.all([ensureImage(t, rt, { cacheDir: cache, exec: fakeMmdebstrap([]) }), ensureImage(t, rt, { cacheDir: cache, exec: fakeMmdebstrap([]) })]);
    expect(a.id).toBe(b.id);
    expect(rt.events.filter((e) => e.startsWith('build'))).toHaveLength(1);
    expect([a.cached, b.cached].sort()).toEqual([false, true]);
  });
});
