// The README's quick start is what CI runs: the two command lines under its quick-start marker
// (the main job and the tests) appear, character for character, as lines .ci/run executes; they
// need no sudo (scripts/setup.sh calls sudo itself when not root); and the npm scripts they name
// exist.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
const ci = readFileSync(join(REPO, '.ci/run'), 'utf8');

/** The command lines of the first ```sh block after the quick-start marker. */
function quickStartLines(text: string): string[] {
  const at = text.indexOf('<!-- quick-start');
  if (at < 0) return [];
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(at));
  return (block?.[1] ?? '').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
}

describe('README quick start = what CI runs', () => {
  const lines = quickStartLines(readme);

  it('has two command lines: the main job (npm run demo) and the tests (npm test)', () => {
    expect(lines).toHaveLength(2);
    expect(lines.filter((l) => /&& npm run demo$/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /&& npm test$/.test(l))).toHaveLength(1);
  });

  it('.ci/run runs each line exactly as written', () => {
    const ran = [...ci.matchAll(/^line '([^']*)'$/gm)].map((m) => m[1]);
    expect(ran.sort()).toEqual([...lines].sort());
  });

  it('works as root without sudo: no line starts with sudo, and setup.sh only uses sudo when not root', () => {
    for (const l of lines) expect(l).not.toMatch(/(^|&&\s*)sudo\b/);
    const setup = readFileSync(join(REPO, 'scripts/setup.sh'), 'utf8');
    expect(setup).toMatch(/if \[ "\$\(id -u\)" != 0 \]; then SUDO="sudo"; fi/);
  });

  it('the npm scripts the lines name exist', () => {
    const scripts = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.test).toBe('node scripts/test.mjs');
    expect(scripts.demo).toBe('node scripts/demo.mjs');
  });
});
