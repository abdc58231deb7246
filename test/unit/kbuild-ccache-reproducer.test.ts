// What a build record says about how it was made: the command that reproduces it (ccache's
// counts of the build's compilations are tested in kbuild-ccache.test.ts).

import { describe, expect, it } from 'vitest';
import { reproducerOf, shellWord } from '../../src/kbuild/reproducer.js';

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
