// Record keys: same inputs -> same key (whatever the object key order); any input changed ->
// another key; the canonical JSON is pinned so a refactor cannot silently change every key.

import { describe, expect, it } from 'vitest';
import { canonicalJson, recordKey, type BuildInputs } from '../../src/store/key.js';
import { TinyError } from '../../src/util/diagnostics.js';

const H = (c: string) => c.repeat(64);
const base = (): BuildInputs => ({
  baseTree: 'a'.repeat(40),
  patches: [H('1'), H('2')],
  config: H('c'),
  toolchain: { name: 'gcc-12-i386', image: 'sha256:' + H('d') },
  arch: 'i386',
  makeVariables: { ARCH: 'i386', CROSS_COMPILE: 'i686-linux-gnu-' },
  env: { KBUILD_BUILD_TIMESTAMP: '@0', KBUILD_BUILD_USER: 'tiny', LC_ALL: 'C' },
  targets: ['vmlinux', 'bzImage'],
  toolVersion: '0.1.0',
  runtime: 'podman',
});

describe('canonicalJson', () => {
  it('sorts keys at every level, keeps array order, drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1, { z: 1, y: 2 }], c: 'x' }, u: undefined })).toBe('{"a":{"c":"x","d":[3,1,{"y":2,"z":1}]},"b":1}');
  });
  it('refuses what JSON cannot say', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow();
    expect(() => canonicalJson({ d: new Date(0) })).toThrow();
    expect(() => canonicalJson(() => 1)).toThrow();
  });
});

describe('recordKey', () => {
  it('is pinned for a fixed input', () => {
    expect(recordKey(base())).toBe(recordKey(base()));
    // sha256 of {"inputs":{"arch":"i386","baseTree":"aaa…","config":"ccc…","env":{…sorted},…},"v":2},
    // computed with sha256sum from the hand-written canonical text.
    expect(recordKey(base())).toBe('8e9a4b5116035a3ea51c5e47eeb76b75a438874f20d8e5650666688d099de57b');
  });

  it('does not depend on the order of object keys, nor on extra properties', () => {
    const b = base();
    const shuffled: BuildInputs = {
      runtime: b.runtime,
      toolVersion: b.toolVersion,
      targets: b.targets,
      env: { LC_ALL: 'C', KBUILD_BUILD_USER: 'tiny', KBUILD_BUILD_TIMESTAMP: '@0' },
      makeVariables: { CROSS_COMPILE: 'i686-linux-gnu-', ARCH: 'i386' },
      arch: b.arch,
      toolchain: { image: b.toolchain.image, name: b.toolchain.name },
      config: b.config,
      patches: b.patches,
      baseTree: b.baseTree,
    };
    expect(recordKey(shuffled)).toBe(recordKey(b));
    expect(recordKey({ ...b, note: 'not an input' } as BuildInputs)).toBe(recordKey(b));
  });

  it('changes when any input changes', () => {
    const changes: Array<[string, (i: BuildInputs) => void]> = [
      ['baseTree', (i) => (i.baseTree = 'b'.repeat(40))],
      ['a patch', (i) => (i.patches[1] = H('3'))],
      ['patch order', (i) => i.patches.reverse()],
      ['a patch more', (i) => i.patches.push(H('4'))],
      ['a patch less', (i) => i.patches.pop()],
      ['config', (i) => (i.config = H('e'))],
      ['toolchain image', (i) => (i.toolchain.image = 'sha256:' + H('f'))],
      ['toolchain name', (i) => (i.toolchain.name = 'gcc-10-i386')],
      ['arch', (i) => (i.arch = 'x86_64')],
      ['a make variable', (i) => (i.makeVariables.CC = 'gcc-10')],
      ['a make variable value', (i) => (i.makeVariables.ARCH = 'x86')],
      ['env', (i) => (i.env.KBUILD_BUILD_TIMESTAMP = '@1')],
      ['targets', (i) => (i.targets = ['vmlinux'])],
      ['target order', (i) => i.targets.reverse()],
      ['tool version', (i) => (i.toolVersion = '0.1.1')],
      ['runtime', (i) => (i.runtime = 'docker')],
    ];
    const keys = new Set([recordKey(base())]);
    for (const [what, change] of changes) {
      const i = base();
      change(i);
      const k = recordKey(i);
      expect(keys.has(k), what).toBe(false);
      keys.add(k);
    }
    expect(keys.size).toBe(changes.length + 1);
  });

  it('refuses malformed inputs instead of hashing them', () => {
    const bad: Array<Partial<Record<keyof BuildInputs, unknown>>> = [
      { baseTree: 'HEAD' },
      { patches: ['not-a-hash'] },
      { config: undefined },
      { toolchain: { name: 'x' } },
      { makeVariables: { ARCH: 1 } },
      { env: undefined },
      { targets: [] },
      { runtime: '' },
    ];
    for (const b of bad) expect(() => recordKey({ ...base(), ...b } as BuildInputs), JSON.stringify(b)).toThrow(TinyError);
  });
});
