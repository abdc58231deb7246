// Toolchain definitions: the shipped ones load, and each kind of mistake is reported where the
// user must edit (file:line:column) with a hint, exactly as `tiny` prints it.

import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contentHash, loadToolchain, loadToolchains, makeVariablesFor, toolchainNames } from '../../src/toolchain/definitions.js';
import { formatDiagnostic, TinyError } from '../../src/util/diagnostics.js';

const ROOT = resolve(__dirname, '../..');

const temps: string[] = [];
afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

const GOOD_YAML = `# yaml-language-server: $schema=../../schema/toolchain.schema.json
name: tc
description: a test toolchain
compiler: gcc-12
arches: [i386]
cross_compile:
  i386: i686-linux-gnu-
packages: [gcc-i686-linux-gnu, make]
base_image: debian:bookworm
bootstrap:
  suite: bookworm
offline_buildable: true
`;

const GOOD_CF = `ARG BASE=debian:bookworm
FROM \${BASE}
RUN apt-get update && apt-get install -y gcc-i686-linux-gnu make
`;

/** A toolchains directory with the given <name>/<file> contents. */
async function tempDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tiny-tc-'));
  temps.push(dir);
  for (const [name, data] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), data);
  }
  return dir;
}

async function failure(dir: string, name = 'tc'): Promise<{ message: string; text: string; exitCode: number; hint?: string }> {
  try {
    await loadToolchain(dir, name, { cwd: dir });
  } catch (e) {
    if (!(e instanceof TinyError)) throw e;
    return { message: e.message, text: e.diagnostics.map(formatDiagnostic).join('\n'), exitCode: e.exitCode, ...(e.hint ? { hint: e.hint } : {}) };
  }
  throw new Error('loaded without errors');
}

describe('the shipped toolchains', () => {
  it('all load and validate', async () => {
    const all = await loadToolchains(ROOT);
    expect(all.map((t) => t.name)).toEqual(['gcc-12-arm', 'gcc-12-i386', 'gcc-12-x86_64', 'gcc-3.4-i386', 'gcc-4.1-i386']);
  });

  it('gcc-12-i386 is the bookworm i686 cross compiler, buildable offline', async () => {
    const t = await loadToolchain(ROOT, 'gcc-12-i386');
    expect(t).toMatchObject({
      compiler: 'gcc-12',
      arches: ['i386'],
      crossCompile: { i386: 'i686-linux-gnu-' },
      baseImage: 'debian:bookworm',
      bootstrap: { suite: 'bookworm', mirror: 'http://deb.debian.org/debian', include: ['ca-certificates'] },
      offlineBuildable: true,
      needsCompat: ['compat-gcc12'],
    });
    for (const p of ['make', 'bc', 'bison', 'flex', 'perl', 'python3', 'cpio', 'gzip', 'xz-utils', 'ccache', 'binutils-i686-linux-gnu', 'libelf-dev', 'libssl-dev']) {
      expect(t.packages).toContain(p);
    }
    expect(makeVariablesFor(t, 'i386')).toEqual({ ARCH: 'i386', CROSS_COMPILE: 'i686-linux-gnu-' });
    expect(() => makeVariablesFor(t, 'arm')).toThrow(/does not build ARCH=arm/);
    const yaml = readFileSync(t.file, 'utf8');
    const cf = readFileSync(t.containerfile, 'utf8');
    expect(t.contentHash).toBe(contentHash(yaml, cf));
    expect(t.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the 2.6-era compilers need a registry and say why', async () => {
    for (const [name, base] of [
      ['gcc-4.1-i386', 'debian/eol:etch'],
      ['gcc-3.4-i386', 'debian/eol:sarge'],
    ] as const) {
      const t = await loadToolchain(ROOT, name);
      expect(t.offlineBuildable).toBe(false);
      expect(t.baseImage).toBe(base);
      expect(t.reason).toMatch(/registry/);
      expect(t.platform).toBe('linux/386');
    }
  });

  it('every toolchain.yaml names the schema for editors', () => {
    for (const d of readdirSync(join(ROOT, 'toolchains'))) {
      const text = readFileSync(join(ROOT, 'toolchains', d, 'toolchain.yaml'), 'utf8');
      expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../schema/toolchain.schema.json');
    }
  });

  it('toolchainNames accepts the project root or the toolchains directory', async () => {
    expect(await toolchainNames(ROOT)).toEqual(await toolchainNames(join(ROOT, 'toolchains')));
  });
});

describe('unknown toolchain names', () => {
  it('list the known ones, with a guess for a typo', async () => {
    const f = await failure(ROOT, 'gcc-12-i368');
    expect(f.message).toBe("unknown toolchain 'gcc-12-i368' (did you mean 'gcc-12-i386'?)");
    expect(f.hint).toBe('known toolchains: gcc-12-arm, gcc-12-i386, gcc-12-x86_64, gcc-3.4-i386, gcc-4.1-i386 (see `tiny toolchain list`)');
    expect(f.exitCode).toBe(2);
  });
});

describe('mistakes in toolchain.yaml', () => {
  it('a good temporary toolchain loads (the baseline for the cases below)', async () => {
    const dir = await tempDir({ 'tc/toolchain.yaml': GOOD_YAML, 'tc/Containerfile': GOOD_CF });
    const t = await loadToolchain(dir, 'tc');
    expect(t.makeVariables).toEqual({});
    expect(t.needsCompat).toEqual([]);
  });

  it('an unknown key is reported at the key, with a did-you-mean', async () => {
    const dir = await tempDir({ 'tc/toolchain.yaml': GOOD_YAML.replace('compiler: gcc-12', 'compiler: gcc-12\ncompilr_flags: -O2\npakages: [x]'), 'tc/Containerfile': GOOD_CF });
    const f = await failure(dir);
    expect(f.text).toBe(
      [
        "tc/toolchain.yaml:5:1: error: unknown key 'compilr_flags'",
        '  hint: allowed keys: name, description, compiler, arches, cross_compile, make_variables, packages, base_image, platform, bootstrap, offline_buildable, reason, needs_compat',
        "tc/toolchain.yaml:6:1: error: unknown key 'pakages'",
        "  hint: did you mean 'packages'?",
      ].join('\n'),
    );
    expect(f.exitCode).toBe(2);
  });

  it('an unknown key inside bootstrap names where it is', async () => {
    const dir = await tempDir({ 'tc/toolchain.yaml': GOOD_YAML.replace('  suite: bookworm', '  suite: bookworm\n  includes: [ca-certificates]'), 'tc/Containerfile': GOOD_CF });
    expect((await failure(dir)).text).toBe("tc/toolchain.yaml:12:3: error: unknown key 'includes' in bootstrap\n  hint: did you mean 'include'?");
  });

  it('wrong types and values point at the value', async () => {
    const yaml = GOOD_YAML.replace('arches: [i386]', 'arches: i386').replace('offline_buildable: true', 'offline_buildable: yes please').replace('compiler: gcc-12', 'compiler: gcc12');
    const dir = await tempDir({ 'tc/toolchain.yaml': yaml, 'tc/Containerfile': GOOD_CF });
    expect((await failure(dir)).text).toBe(
      [
        "tc/toolchain.yaml:4:11: error: 'compiler' value 'gcc12' is not valid",
        '  hint: The compiler and its version, e.g. gcc-12, gcc-4.1, clang-15.',
        "tc/toolchain.yaml:5:9: error: 'arches' must be a list, not 'i386'",
        '  hint: write a list: [i386]',
        "tc/toolchain.yaml:12:20: error: 'offline_buildable' must be true or false, not 'yes please'",
        '  hint: true when the image can be built with no image registry (base bootstrapped with mmdebstrap from the Debian mirror); false needs `reason`.',
      ].join('\n'),
    );
  });

  it('offline_buildable: false needs a reason; true needs a bootstrap', async () => {
    const noReason = GOOD_YAML.replace('offline_buildable: true', 'offline_buildable: false');
    let dir = await tempDir({ 'tc/toolchain.yaml': noReason, 'tc/Containerfile': GOOD_CF });
    expect((await failure(dir)).text).toBe(
      "tc/toolchain.yaml:2:1: error: the toolchain is missing 'reason'\n  hint: offline_buildable is false: add `reason:` saying why a registry is needed and which image",
    );
    const noBootstrap = GOOD_YAML.replace('bootstrap:\n  suite: bookworm\n', '');
    dir = await tempDir({ 'tc/toolchain.yaml': noBootstrap, 'tc/Containerfile': GOOD_CF });
    expect((await failure(dir)).text).toMatch(/^tc\/toolchain.yaml:2:1: error: the toolchain is missing 'bootstrap'\n {2}hint: offline_buildable is true: add `bootstrap:/);
  });

  it('a number where a string belongs says to quote it', async () => {
    const yaml = GOOD_YAML.replace('packages: [gcc-i686-linux-gnu, make]', 'packages: [gcc-i686-linux-gnu, make]\nmake_variables:\n  V: 1');
    const dir = await tempDir({ 'tc/toolchain.yaml': yaml, 'tc/Containerfile': GOOD_CF });
    expect((await failure(dir)).text).toBe('tc/toolchain.yaml:10:6: error: \'make_variables.V\' must be a string, not 1\n  hint: quote it: "1"');
  });

  it('a bad make variable name is reported at the key', async () => {
    const yaml = GOOD_YAML.replace('packages: [gcc-i686-linux-gnu, make]', 'packages: [gcc-i686-linux-gnu, make]\nmake_variables:\n  HOST-CC: gcc');
    const dir = await tempDir({ 'tc/toolchain.yaml': yaml, 'tc/Containerfile': GOOD_CF });
    expect((await failure(dir)).text).toBe("tc/toolchain.yaml:10:3: error: 'HOST-CC' is not a valid name in make_variables\n  hint: make variable names use letters, digits and _, e.g. HOSTCC");
  });

  it('what the schema cannot see: directory name, CROSS_COMPILE per ARCH, ARCH in make_variables', async () => {
    const yaml = GOOD_YAML.replace('name: tc', 'name: other')
      .replace('arches: [i386]', 'arches: [i386, arm]')
      .replace('  i386: i686-linux-gnu-', '  i386: i686-linux-gnu-\n  x86-64: ""')
      .replace('packages:', 'make_variables:\n  ARCH: i386\npackages:');
    const dir = await tempDir({ 'tc/toolchain.yaml': yaml, 'tc/Containerfile': GOOD_CF });
    expect((await failure(dir)).text).toBe(
      [
        "tc/toolchain.yaml:2:7: error: name 'other' is not the directory's name 'tc'",
        '  hint: write name: tc (or rename the directory to other)',
        "tc/toolchain.yaml:7:3: error: cross_compile has no entry for ARCH 'arm'",
        '  hint: add `arm: <prefix>-` under cross_compile ("" for a native compiler)',
        "tc/toolchain.yaml:8:3: error: cross_compile names ARCH 'x86-64', which is not in arches",
        '  hint: add x86-64 to arches, or remove this entry',
        'tc/toolchain.yaml:10:3: error: ARCH does not belong in make_variables',
        '  hint: list the ARCH values under arches',
      ].join('\n'),
    );
  });

  it('the Containerfile must take ARG BASE=<base_image> and install every listed package', async () => {
    let dir = await tempDir({ 'tc/toolchain.yaml': GOOD_YAML, 'tc/Containerfile': GOOD_CF.replace('ARG BASE=debian:bookworm', 'ARG BASE=debian:trixie').replace(' make', ' bc') });
    expect((await failure(dir)).text).toBe(
      [
        "tc/toolchain.yaml:9:13: error: base_image 'debian:bookworm' differs from the Containerfile's ARG BASE=debian:trixie",
        '  hint: make them the same (tc/Containerfile line 1)',
        "tc/toolchain.yaml:8:32: error: package 'make' is not installed by tc/Containerfile",
        '  hint: add it to the apt-get install line there, or remove it here',
      ].join('\n'),
    );
    dir = await tempDir({ 'tc/toolchain.yaml': GOOD_YAML, 'tc/Containerfile': 'FROM debian:bookworm\nRUN apt-get install gcc-i686-linux-gnu make\n' });
    expect((await failure(dir)).text).toBe(
      'tc/toolchain.yaml:9:13: error: tc/Containerfile does not take its base from ARG BASE\n  hint: start it with `ARG BASE=debian:bookworm` then `FROM ${BASE}` (tiny passes the base image by ID)',
    );
    dir = await tempDir({ 'tc/toolchain.yaml': GOOD_YAML });
    expect((await failure(dir)).text).toBe(
      'tc/toolchain.yaml:1:1: error: no Containerfile next to toolchain.yaml\n  hint: create tc/Containerfile starting with `ARG BASE=debian:bookworm` and `FROM ${BASE}`',
    );
  });

  it('YAML syntax errors have positions', async () => {
    const dir = await tempDir({ 'tc/toolchain.yaml': GOOD_YAML.replace('arches: [i386]', 'arches: [i386'), 'tc/Containerfile': GOOD_CF });
    const f = await failure(dir);
    expect(f.text).toMatch(/^tc\/toolchain.yaml:\d+:\d+: error: YAML syntax: /);
  });

  it('repeated list items are pointed at the repeat', async () => {
    const dir = await tempDir({ 'tc/toolchain.yaml': GOOD_YAML.replace('packages: [gcc-i686-linux-gnu, make]', 'packages: [gcc-i686-linux-gnu, make, make]'), 'tc/Containerfile': GOOD_CF });
    expect((await failure(dir)).text).toBe("tc/toolchain.yaml:8:38: error: 'packages' lists 'make' twice\n  hint: remove the repeated item");
  });

  it('loadToolchains reports the errors of every file at once', async () => {
    const dir = await tempDir({
      'a/toolchain.yaml': GOOD_YAML.replace('name: tc', 'name: a').replace('compiler: gcc-12', 'compilr: gcc-12'),
      'a/Containerfile': GOOD_CF,
      'b/toolchain.yaml': GOOD_YAML.replace('name: tc', 'name: b').replace('base_image: debian:bookworm', 'base_image: Debian:Bookworm'),
      'b/Containerfile': GOOD_CF,
      'not-a-toolchain/README': 'ignored: no toolchain.yaml',
    });
    try {
      await loadToolchains(dir, { cwd: dir });
      throw new Error('loaded');
    } catch (e) {
      expect(e).toBeInstanceOf(TinyError);
      const err = e as TinyError;
      expect(err.message).toBe('3 errors in 2 toolchains');
      expect(err.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}`)).toEqual(['a/toolchain.yaml:2:1', 'a/toolchain.yaml:4:1', 'b/toolchain.yaml:9:13']);
      expect(err.diagnostics[1]!.hint).toBe("did you mean 'compiler'?");
    }
  });
});

describe('the schema file', () => {
  it('is what the loader and editors use, and every property has a description', async () => {
    const schema = JSON.parse(await readFile(join(ROOT, 'schema/toolchain.schema.json'), 'utf8')) as { properties: Record<string, { description?: string }> };
    for (const [k, v] of Object.entries(schema.properties)) expect(v.description, k).toBeTruthy();
  });
});
