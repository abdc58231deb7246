// Toolchain images: tiny/<name>:<content hash> built from toolchains/<name>/Containerfile.
// The tag is a content address (toolchain.yaml + Containerfile), so an existing image is
// reused as it is. Without one: pull the base image, or — offline, when the definition allows
// it — bootstrap the base with mmdebstrap from the Debian mirror and import it; then build
// FROM that base, given by ID (--build-arg BASE=...). Callers get the image ID and digest, and
// run containers by ID, never by tag alone.

import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir as defaultCacheDir } from '../util/cache.js';
import { TinyError } from '../util/diagnostics.js';
import { exists, sha256, sha256File, writeFileAtomic } from '../util/fs.js';
import { acquireLock } from '../util/lock.js';
import { realExec, type Exec } from './proc.js';
import type { Runtime, RuntimeName } from './runtime.js';
import type { Bootstrap, Toolchain } from './types.js';
import { SETUP_CONTAINERS, tinyCommand } from '../util/invocation.js';

export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

export interface ImageTimings {
  /** mmdebstrap of the base root file system (absent when cached or not needed). */
  bootstrapMs?: number;
  /** Importing the root file system tarball as an image. */
  importMs?: number;
  /** Pulling (or trying to pull) the base image. */
  pullMs?: number;
  /** podman/docker build of the toolchain image. */
  buildMs?: number;
  totalMs: number;
}

export interface BaseImage {
  /** Where the base came from. */
  source: 'local' | 'pulled' | 'bootstrapped';
  /** The reference asked for (docker.io/library/debian:bookworm) or the bootstrap tag. */
  ref: string;
  id: string;
  /** For a bootstrapped base: the mmdebstrap tarball and its sha256. */
  tarball?: string;
  tarballSha256?: string;
}

export interface ImageRef {
  toolchain: string;
  runtime: RuntimeName;
  /** tiny/<name>:<hash16> */
  tag: string;
  /** sha256:<hex>: what containers are run from. */
  id: string;
  /** The manifest digest when the engine records one. */
  digest?: string;
  contentHash: string;
  /** True when the image already existed. */
  cached: boolean;
  base?: BaseImage;
  timings: ImageTimings;
  /** The build's log (when one was built). */
  logFile?: string;
  builtAt?: string;
}

export interface EnsureImageOptions {
  /** tiny's cache directory (default: util/cache cacheDir()). */
  cacheDir?: string;
  /** Progress, one line at a time (tiny's own messages and the engine's output). */
  onLog?: (line: string) => void;
  exec?: Exec;
  /** Try to pull the base image from a registry first (default true). */
  pull?: boolean;
}

/** The image's tag: tiny/<name>:<first 16 hex digits of the content hash>. */
export function imageTag(tc: Toolchain): string {
  return `tiny/${tc.name}:${tc.contentHash.slice(0, 16)}`;
}

/** docker.io/library/debian:bookworm for debian:bookworm; docker.io/debian/eol:etch for debian/eol:etch. */
export function qualifyImage(ref: string): string {
  const first = ref.split('/')[0]!;
  const hasRegistry = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return ref;
  return ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
}

/** The mmdebstrap command line for a bootstrap spec (arguments after "mmdebstrap"). */
export function mmdebstrapArgs(b: Bootstrap, output: string, platform?: string): string[] {
  const arch = platformToDebianArch(platform);
  return ['--variant=minbase', ...(b.include.length ? [`--include=${b.include.join(',')}`] : []), ...(arch ? [`--architectures=${arch}`] : []), b.suite, output, b.mirror ?? DEFAULT_MIRROR];
}

function platformToDebianArch(platform?: string): string | undefined {
  if (!platform) return undefined;
  const map: Record<string, string> = { 'linux/386': 'i386', 'linux/amd64': 'amd64', 'linux/arm64': 'arm64', 'linux/arm/v7': 'armhf', 'linux/arm/v5': 'armel' };
  return map[platform] ?? platform.split('/')[1];
}

/** The content address of a bootstrapped base: same spec, same tarball and image. */
export function bootstrapKey(b: Bootstrap, platform?: string): string {
  return sha256(JSON.stringify({ variant: 'minbase', suite: b.suite, mirror: b.mirror ?? DEFAULT_MIRROR, include: [...b.include].sort(), platform: platform ?? null })).slice(0, 16);
}

export function bootstrapTag(b: Bootstrap, platform?: string): string {
  return `tiny-base/${b.suite}:${bootstrapKey(b, platform)}`;
}

function toolchainCache(cache: string): string {
  return join(cache, 'toolchains');
}

function recordPath(cache: string, name: string): string {
  return join(toolchainCache(cache), 'images', `${name}.json`);
}

/** The last record ensureImage wrote for this toolchain (any content hash), if any. */
export function readImageRecord(cache: string, name: string): ImageRef | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(cache, name), 'utf8')) as ImageRef;
  } catch {
    return undefined;
  }
}

/** The toolchain's current image (this content hash) if it is built; no building. */
export async function findImage(tc: Toolchain, runtime: Runtime): Promise<{ tag: string; id: string; digest?: string } | undefined> {
  if (!runtime.supportsImages) return undefined;
  const tag = imageTag(tc);
  const info = await runtime.imageInfo(tag);
  return info ? { tag, id: info.id, ...(info.digest ? { digest: info.digest } : {}) } : undefined;
}

/**
 * The toolchain's image, built if it is missing. Safe to call from several processes at once
 * (one builds, the others wait for it).
 */
export async function ensureImage(tc: Toolchain, runtime: Runtime, opts: EnsureImageOptions = {}): Promise<ImageRef> {
  const started = Date.now();
  const log = opts.onLog ?? (() => {});
  const cache = opts.cacheDir ?? defaultCacheDir();
  const tag = imageTag(tc);
  if (!runtime.supportsImages) {
    throw new TinyError(`the ${runtime.name} runtime has no images: toolchain ${tc.name} cannot be built there`, 2, [], `use --runtime podman (set it up with: ${SETUP_CONTAINERS})`);
  }

  const existing = await runtime.imageInfo(tag);
  if (existing) return cachedRef(tc, runtime, tag, existing.id, existing.digest, cache, started);

  // One build of an image at a time (test files, parallel builds): the others wait and reuse it.
  const release = await acquireLock(join(toolchainCache(cache), 'locks', `${tc.name}.lock`), {
    timeoutMs: Infinity,
    onWait: (holder) => log(`waiting for process ${holder}, which is building image ${tag}`),
  });
  try {
    const again = await runtime.imageInfo(tag); // built by another process while we waited
    if (again) return cachedRef(tc, runtime, tag, again.id, again.digest, cache, started);

    const timings: ImageTimings = { totalMs: 0 };
    const base = await ensureBase(tc, runtime, cache, log, timings, opts);

    const logFile = join(toolchainCache(cache), 'logs', `${tc.name}-${tc.contentHash.slice(0, 16)}.log`);
    await rm(logFile, { force: true });
    log(`building ${tag} from ${tc.containerfile} (base ${base.ref} = ${base.id}); log: ${logFile}`);
    const t0 = Date.now();
    const id = await runtime.buildImage({
      tag,
      containerfile: tc.containerfile,
      context: tc.dir,
      buildArgs: { BASE: runtime.fromRef({ id: base.id, tags: [] }, base.ref) },
      labels: { 'org.tiny.toolchain': tc.name, 'org.tiny.content-hash': tc.contentHash, 'org.tiny.base': `${base.ref}@${base.id}` },
      network: 'host',
      ...(tc.platform ? { platform: tc.platform } : {}),
      logFile,
      onLine: (l) => log(l),
    });
    timings.buildMs = Date.now() - t0;
    const info = await runtime.imageInfo(id);
    timings.totalMs = Date.now() - started;
    const ref: ImageRef = {
      toolchain: tc.name,
      runtime: runtime.name,
      tag,
      id,
      ...(info?.digest ? { digest: info.digest } : {}),
      contentHash: tc.contentHash,
      cached: false,
      base,
      timings,
      logFile,
      builtAt: new Date().toISOString(),
    };
    await writeFileAtomic(recordPath(cache, tc.name), JSON.stringify(ref, null, 2) + '\n');
    log(`built ${tag}: ${id} in ${formatMs(timings.totalMs)}${describeTimings(timings)}`);
    return ref;
  } finally {
    await release();
  }
}

async function cachedRef(tc: Toolchain, runtime: Runtime, tag: string, id: string, digest: string | undefined, cache: string, started: number): Promise<ImageRef> {
  const rec = readImageRecord(cache, tc.name);
  const same = rec && rec.id === id ? rec : undefined;
  return {
    toolchain: tc.name,
    runtime: runtime.name,
    tag,
    id,
    ...(digest ? { digest } : {}),
    contentHash: tc.contentHash,
    cached: true,
    ...(same?.base ? { base: same.base } : {}),
    timings: { totalMs: Date.now() - started },
    ...(same?.builtAt ? { builtAt: same.builtAt } : {}),
    ...(same?.logFile ? { logFile: same.logFile } : {}),
  };
}

/** The base image's ID: present locally, pulled, or bootstrapped with mmdebstrap. */
async function ensureBase(tc: Toolchain, runtime: Runtime, cache: string, log: (l: string) => void, timings: ImageTimings, opts: EnsureImageOptions): Promise<BaseImage> {
  const ref = qualifyImage(tc.baseImage);
  const local = await runtime.imageInfo(ref);
  if (local) {
    log(`base image ${ref} is present: ${local.id}`);
    return { source: 'local', ref, id: local.id };
  }
  if (tc.bootstrap && tc.offlineBuildable) {
    const btag = bootstrapTag(tc.bootstrap, tc.platform);
    const boot = await runtime.imageInfo(btag);
    if (boot) {
      log(`bootstrapped base ${btag} is present: ${boot.id}`);
      return { source: 'bootstrapped', ref: btag, id: boot.id, ...tarballOf(cache, tc.bootstrap, tc.platform) };
    }
  }
  let pullMessage = 'not tried';
  if (opts.pull !== false) {
    log(`pulling ${ref}${tc.platform ? ` (${tc.platform})` : ''}`);
    const t0 = Date.now();
    const p = await runtime.pullImage(ref, { ...(tc.platform ? { platform: tc.platform } : {}), onLine: log });
    timings.pullMs = Date.now() - t0;
    if (p.ok && p.id) return { source: 'pulled', ref, id: p.id };
    pullMessage = p.message;
    log(`cannot pull ${ref}: ${p.message}`);
  }
  if (!tc.offlineBuildable || !tc.bootstrap) {
    throw new TinyError(
      `toolchain ${tc.name} needs the image ${ref} from a registry, and it could not be pulled (${pullMessage})`,
      1,
      [],
      `${tc.reason ?? 'it cannot be bootstrapped offline'}\n  On a machine with registry access: podman pull${tc.platform ? ` --platform ${tc.platform}` : ''} ${ref} && podman save ${ref} -o base.tar;` +
        ` here: podman load -i base.tar; then: ${tinyCommand()} toolchain build ${tc.name}`,
    );
  }
  return bootstrapBase(tc, tc.bootstrap, runtime, cache, log, timings, opts.exec ?? realExec);
}

function tarballOf(cache: string, b: Bootstrap, platform?: string): { tarball: string } {
  return { tarball: join(toolchainCache(cache), 'bootstrap', `${b.suite}-${bootstrapKey(b, platform)}.tar`) };
}

async function bootstrapBase(tc: Toolchain, b: Bootstrap, runtime: Runtime, cache: string, log: (l: string) => void, timings: ImageTimings, exec: Exec): Promise<BaseImage> {
  const { tarball } = tarballOf(cache, b, tc.platform);
  const btag = bootstrapTag(b, tc.platform);
  if (await exists(tarball)) {
    log(`reusing bootstrapped root file system ${tarball}`);
  } else {
    const which = await exec.run('sh', ['-c', 'command -v mmdebstrap'], { allowFail: true }).catch(() => ({ code: 1 }));
    if (which.code !== 0) {
      throw new TinyError(`no registry and no mmdebstrap: cannot make the base image ${tc.baseImage} for ${tc.name}`, 1, [], `${SETUP_CONTAINERS} (installs mmdebstrap)`);
    }
    await mkdir(join(toolchainCache(cache), 'bootstrap'), { recursive: true });
    const tmp = `${tarball}.${process.pid}.tmp.tar`;
    const args = mmdebstrapArgs(b, tmp, tc.platform);
    log(`bootstrapping ${b.suite} with: mmdebstrap ${args.join(' ')}`);
    const t0 = Date.now();
    try {
      const r = await exec.stream('mmdebstrap', args, { onLine: (l) => log(l), logFile: join(toolchainCache(cache), 'logs', `bootstrap-${b.suite}-${bootstrapKey(b, tc.platform)}.log`) });
      if (r.code !== 0) {
        throw new TinyError(
          `mmdebstrap failed (exit ${r.code}):\n${r.output.trim().split('\n').slice(-10).join('\n')}`,
          1,
          [],
          `is the mirror ${b.mirror ?? DEFAULT_MIRROR} reachable? (apt-get update tells)`,
        );
      }
      await rename(tmp, tarball);
    } finally {
      await rm(tmp, { force: true });
    }
    timings.bootstrapMs = Date.now() - t0;
    log(`bootstrapped ${tarball} (${Math.round((await stat(tarball)).size / 1048576)} MiB) in ${formatMs(timings.bootstrapMs)}`);
  }
  const t1 = Date.now();
  const tarballSha256 = await sha256File(tarball);
  log(`importing ${tarball} (sha256 ${tarballSha256}) as ${btag}`);
  const id = await runtime.importImage(tarball, btag);
  timings.importMs = Date.now() - t1;
  return { source: 'bootstrapped', ref: btag, id, tarball, tarballSha256 };
}

export function formatMs(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function describeTimings(t: ImageTimings): string {
  const parts: string[] = [];
  if (t.pullMs !== undefined) parts.push(`pull ${formatMs(t.pullMs)}`);
  if (t.bootstrapMs !== undefined) parts.push(`bootstrap ${formatMs(t.bootstrapMs)}`);
  if (t.importMs !== undefined) parts.push(`import ${formatMs(t.importMs)}`);
  if (t.buildMs !== undefined) parts.push(`build ${formatMs(t.buildMs)}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}
