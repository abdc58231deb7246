// What a build record says about how it was made: ccache's counts of the build's compiler
// calls (from CCACHE_STATSLOG) and the command that reproduces it.

import { describe, expect, it } from 'vitest';
import { parseCcacheStatsLog } from '../../src/kbuild/ccache.js';
import { reproducerOf, shellWord } from '../../src/kbuild/reproducer.js';

describe('parseCcacheStatsLog', () => {
  it("counts each call once: a hit (direct or preprocessed), a miss, or a call ccache does not cache", () => {
    // What ccache 4.7 wrote for: a first compile, the same compile again, `gcc -E`.
    const log = [
      '# a.c', 'cache_miss', 'direct_cache_miss', 'local_storage_miss', 'local_storage_read_miss', 'local_storage_read_miss', 'local_storage_write', 'local_storage_write', 'preprocessed_cache_miss',
      '# a.c', 'direct_cache_hit', 'local_storage_hit', 'local_storage_read_hit', 'local_storage_read_hit',
      '# a.c', 'called_for_preprocessing',
      '# b.c', 'preprocessed_cache_hit', 'direct_cache_miss',
      '',
    ].join('\n');
    expect(parseCcacheStatsLog(log)).toEqual({ hits: 2, misses: 1, uncacheable: 1 });
    expect(parseCcacheStatsLog('')).toEqual({ hits: 0, misses: 0, uncacheable: 0 });
  });
});

describe('reproducerOf', () => {
  const inputs = {
    toolchain: { image: 'sha256:' + 'd'.repeat(64) },
    makeVariables: { O: '/tiny/build', ARCH: 'i386', CROSS_COMPILE: 'i686-linux-gnu-', KCONFIG_NOTIMESTAMP: '1' },
    env: { KBUILD_BUILD_USER: 'tiny', LC_ALL: 'C', HOME: '/tiny/build' },
    targets: ['vmlinux', 'bzImage'],
  };

  it('a container build: the engine, the image by ID, the recorded environment and make line', () => {
    expect(reproducerOf({ ...inputs, runtime: 'docker' })).toEqual({
      image: 'sha256:' + 'd'.repeat(64),
      command: `docker run --rm --pull=never --log-driver=none --cap-drop=all --security-opt=no-new-privileges --network=none --hostname=tiny --workdir=/tiny/build --volume "$SRC":/tiny/src:ro --volume "$BUILD":/tiny/build:rw --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env KBUILD_BUILD_USER=tiny --env LC_ALL=C --env HOME=/tiny/build sha256:${'d'.repeat(64)} make -C /tiny/src O=/tiny/build ARCH=i386 CROSS_COMPILE=i686-linux-gnu- KCONFIG_NOTIMESTAMP=1 bzImage`,
    });
  });

  it('a host build: no image, the container paths replaced by the directories', () => {
    expect(reproducerOf({ ...inputs, runtime: 'host', toolchain: { image: 'host:0123' } })).toEqual({
      image: null,
      command: 'cd "$BUILD" && env -i PATH="$PATH" KBUILD_BUILD_USER=tiny LC_ALL=C "HOME=$BUILD" make -C "$SRC" "O=$BUILD" ARCH=i386 CROSS_COMPILE=i686-linux-gnu- KCONFIG_NOTIMESTAMP=1 bzImage',
    });
  });

  it('quotes words sh would split or expand', () => {
    expect(shellWord('CC=ccache gcc')).toBe("'CC=ccache gcc'");
    expect(shellWord("it's")).toBe(`'it'\\''s'`);
    expect(shellWord('$HOME')).toBe("'$HOME'");
    expect(shellWord('plain-word_1.2')).toBe('plain-word_1.2');
  });
});
