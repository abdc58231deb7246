// The command hints print for running tiny, decided by where the running bin is: real
// directory layouts of a global install (PREFIX/lib/node_modules/tiny + PREFIX/bin/tiny), a
// project's dependency (PROJECT/node_modules/tiny + PROJECT/package.json) and a checkout.

import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setupContainersCommand, tinyCommand, tinyOnPath } from '../../src/util/invocation.js';

const work = mkdtempSync(join(tmpdir(), 'tiny-invocation-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A package's bin/tiny.js at `root`. */
function pkgAt(root: string): string {
  const bin = join(root, 'bin', 'tiny.js');
  mkdirSync(dirname(bin), { recursive: true });
  writeFileSync(bin, '#!/usr/bin/env node\n');
  chmodSync(bin, 0o755);
  return bin;
}

const globalBin = pkgAt(join(work, 'prefix', 'lib', 'node_modules', 'tiny'));
mkdirSync(join(work, 'prefix', 'bin'));
symlinkSync('../lib/node_modules/tiny/bin/tiny.js', join(work, 'prefix', 'bin', 'tiny'));

const projectBin = pkgAt(join(work, 'project', 'node_modules', 'tiny'));
writeFileSync(join(work, 'project', 'package.json'), '{}\n');
mkdirSync(join(work, 'project', 'node_modules', '.bin'));
symlinkSync('../tiny/bin/tiny.js', join(work, 'project', 'node_modules', '.bin', 'tiny'));

const checkoutBin = pkgAt(join(work, 'checkout'));

describe('tinyCommand', () => {
  it('a global install whose bin directory is on PATH: tiny', () => {
    expect(tinyOnPath(`/nonexistent:${join(work, 'prefix', 'bin')}`)).toBe(globalBin);
    expect(tinyCommand(globalBin, `/usr/bin:${join(work, 'prefix', 'bin')}`)).toBe('tiny');
  });

  it("a project's dependency: npx tiny, even with another tiny on PATH", () => {
    expect(tinyCommand(projectBin, '/usr/bin')).toBe('npx tiny');
    expect(tinyCommand(projectBin, join(work, 'prefix', 'bin'))).toBe('npx tiny');
  });

  it('a global install not on PATH: the path of its bin (npx would fetch another tiny)', () => {
    expect(tinyCommand(globalBin, '/usr/bin')).toBe(globalBin);
  });

  it('a checkout: npx tiny, or tiny once linked onto PATH', () => {
    expect(tinyCommand(checkoutBin, '/usr/bin')).toBe('npx tiny');
    mkdirSync(join(work, 'linked'));
    symlinkSync(checkoutBin, join(work, 'linked', 'tiny'));
    expect(tinyCommand(checkoutBin, join(work, 'linked'))).toBe('tiny');
  });
});

describe('setupContainersCommand', () => {
  it("names scripts/setup-containers.sh relative in tiny's own directory, by its full path elsewhere", () => {
    const root = join(import.meta.dirname, '..', '..');
    expect(setupContainersCommand(root)).toBe('sudo bash scripts/setup-containers.sh');
    expect(setupContainersCommand(work)).toBe(`sudo bash ${join(root, 'scripts', 'setup-containers.sh')}`);
  });
});
