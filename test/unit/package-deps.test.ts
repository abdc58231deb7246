// Every runtime dependency in package.json is imported by the code that ships (src/, bin/,
// scripts/, bench/): an unused one is weight in every install. docs/architecture.md says which
// library does what.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(REPO, dir))) {
    const rel = join(dir, e);
    if (statSync(join(REPO, rel)).isDirectory()) out.push(...sources(rel));
    else if (/\.(ts|mjs|js)$/.test(e)) out.push(rel);
  }
  return out;
}

describe('package.json', () => {
  it('declares no dependency that nothing imports', () => {
    const deps = Object.keys((JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    const text = ['src', 'bin', 'scripts', 'bench']
      .flatMap(sources)
      .map((f) => readFileSync(join(REPO, f), 'utf8'))
      .join('\n');
    const unused = deps.filter((d) => !new RegExp(`(from|import\\()\\s*['"]${d.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(/[^'"]*)?['"]`).test(text));
    expect(unused).toEqual([]);
  });
});
