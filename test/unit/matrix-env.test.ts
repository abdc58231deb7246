// The reproducible build environment and the container make command lines.

import { describe, expect, it, onTestFinished } from 'vitest';
import { buildDate, buildEnv, dateText, mainlineVersion, reproducibleEnv } from '../../src/kbuild/env.js';
import { containerRunMake, extraMakeVars, kbuildMounts, kbuildVars, makeArgv, toContainerPath } from '../../src/kbuild/make.js';
import { makeGoals } from '../../src/matrix/run.js';
import { readByKconfig, kconfigIdentityOf } from '../../src/matrix/memo.js';
import { HostRuntime, type RunSpec, type Runtime } from '../../src/toolchain/runtime.js';

describe('build date', () => {
  it('comes from the queue base date, else the mainline release, else a fixed fallback', () => {
    expect(buildDate('2.6.9', '2001-02-03')).toEqual({ iso: '2001-02-03T00:00:00.000Z', epoch: 981158400, source: 'queue' });
    expect(buildDate('2.6.9')).toMatchObject({ iso: '2004-10-18T00:00:00.000Z', source: 'release' });
    expect(buildDate('6.1.176')).toMatchObject({ iso: '2022-12-11T00:00:00.000Z', source: 'release' });
    expect(buildDate('9.9')).toMatchObject({ iso: '2000-01-01T00:00:00.000Z', source: 'fallback' });
    expect(mainlineVersion('2.6.9.1')).toBe('2.6.9');
    expect(mainlineVersion('6.1-rc3')).toBe('6.1');
    expect(() => buildDate('1', 'yesterday')).toThrow(/not an ISO 8601 date/);
  });

  it('prints the timestamp as date(1) does, and pins the environment', () => {
    expect(dateText(1098057600)).toBe('Mon Oct 18 00:00:00 UTC 2004');
    expect(dateText(981158400)).toBe('Sat Feb  3 00:00:00 UTC 2001');
    expect(reproducibleEnv(buildDate('2.6.9'))).toEqual({
      KBUILD_BUILD_TIMESTAMP: 'Mon Oct 18 00:00:00 UTC 2004',
      SOURCE_DATE_EPOCH: '1098057600',
      KBUILD_BUILD_USER: 'tiny',
      KBUILD_BUILD_HOST: 'tiny',
      KBUILD_BUILD_VERSION: '1',
      LC_ALL: 'C',
      TZ: 'UTC',
    });
    expect(buildEnv(buildDate('2.6.9'), { ccache: true })).toMatchObject({ HOME: '/tiny/build', CCACHE_DIR: '/tiny/ccache' });
    expect(buildEnv(buildDate('2.6.9'), { ccache: false })).not.toHaveProperty('CCACHE_DIR');
  });
});

describe('make in the container', () => {
  const v = { arch: 'i386', crossCompile: 'i686-linux-gnu-', ccache: true, configVars: { HOSTCFLAGS: '-O2' } };

  it('uses the same variables to configure and to build', () => {
    expect(kbuildVars(v)).toEqual({ O: '/tiny/build', ARCH: 'i386', CROSS_COMPILE: 'i686-linux-gnu-', KCONFIG_NOTIMESTAMP: '1', CC: 'ccache i686-linux-gnu-gcc', HOSTCFLAGS: '-O2' });
    expect(extraMakeVars({ ...v, ccache: false })).toEqual({ HOSTCFLAGS: '-O2' });
    expect(makeArgv({ O: '/tiny/build', ARCH: 'i386' }, ['bzImage'], 2)).toEqual(['make', '-C', '/tiny/src', 'O=/tiny/build', 'ARCH=i386', '-j2', 'bzImage']);
  });

  it('mounts the tree read-only, the build and ccache directories read-write', () => {
    expect(kbuildMounts({ src: '/c/wt', build: '/c/b', ccache: '/c/cc' })).toEqual([
      { host: '/c/wt', container: '/tiny/src', readonly: true },
      { host: '/c/b', container: '/tiny/build', readonly: false },
      { host: '/c/cc', container: '/tiny/ccache', readonly: false },
    ]);
    expect(toContainerPath('/c/b', { src: '/c/wt', build: '/c/b' })).toBe('/tiny/build');
    expect(toContainerPath('/c/wt/arch', { src: '/c/wt', build: '/c/b' })).toBe('/tiny/src/arch');
    expect(toContainerPath('/c/wtx', { src: '/c/wt', build: '/c/b' })).toBe('/c/wtx');
  });

  it('maps generateConfig host paths and feeds stdin through a file', async () => {
    const specs: RunSpec[] = [];
    const fake = {
      ...new HostRuntime(),
      name: 'podman',
      hermetic: true,
      runInContainer: async (s: RunSpec) => {
        specs.push(s);
        return { code: 0, output: '', truncated: false, argv: [], durationMs: 0, timedOut: false, hermetic: true };
      },
    } as unknown as Runtime;
    const { mkdtemp, rm: remove } = await import('node:fs/promises');
    const build = await mkdtemp('/tmp/tiny-make-');
    onTestFinished(() => remove(build, { recursive: true, force: true }));
    const rm = containerRunMake({ runtime: fake, image: 'sha256:' + 'a'.repeat(64), src: '/c/wt', build, env: { LC_ALL: 'C' } });
    await rm({ cwd: '/c/wt', targets: ['allnoconfig'], vars: { O: build, ARCH: 'i386' } });
    await rm({ cwd: '/c/wt', targets: ['oldconfig'], vars: { O: build, ARCH: 'i386' }, input: '\n\n' });
    expect(specs[0]!.cmd).toEqual(['make', '-C', '/tiny/src', 'O=/tiny/build', 'ARCH=i386', 'allnoconfig']);
    expect(specs[0]!.network).toBe('none');
    expect(specs[0]!.env).toEqual({ LC_ALL: 'C' });
    expect(specs[1]!.cmd.slice(0, 4)).toEqual(['sh', '-c', 'exec "$@" < /tiny/build/.tiny-stdin', 'make']);
    await expect(rm({ cwd: '/elsewhere', targets: ['x'], vars: {} })).rejects.toThrow(/not in the mounted tree/);
  });

  it('builds the image target only: it makes vmlinux too', () => {
    expect(makeGoals(['vmlinux', 'bzImage'])).toEqual(['bzImage']);
    expect(makeGoals(['vmlinux'])).toEqual(['vmlinux']);
  });
});

describe('what Kconfig reads', () => {
  it('covers Kconfig, Makefiles, scripts/ and defconfigs, not C code', () => {
    for (const p of [
      'Kconfig',
      'mm/Kconfig',
      'arch/x86/Kconfig.debug',
      'Makefile',
      'arch/i386/Makefile',
      'scripts/kconfig/conf.c',
      'scripts/Kconfig.include',
      'arch/x86/configs/i386_defconfig',
      'kernel/configs/tiny.config',
      'arch/i386/defconfig',
      'drivers/net/Kbuild',
    ])
      expect(readByKconfig(p), p).toBe(true);
    for (const p of ['init/main.c', 'mm/page_alloc.c', 'include/linux/kconfig.h', 'Documentation/kbuild/kconfig.rst']) expect(readByKconfig(p), p).toBe(false);
    const ls = (c: string) => `100644 blob ${'1'.repeat(40)}\tMakefile\n100644 blob ${c.repeat(40)}\tinit/main.c\n`;
    expect(kconfigIdentityOf(ls('2'))).toBe(kconfigIdentityOf(ls('3')));
    expect(kconfigIdentityOf(ls('2'))).not.toBe(kconfigIdentityOf(ls('2').replace('1'.repeat(40), '4'.repeat(40))));
  });
});
