// The layers of DESIGN.md, checked on the imports of every file under src/: cli -> features ->
// services -> util, and an arrow never points up. A feature that needs another layer's helper
// moves the helper down; a new directory under src/ has to be given a layer here first.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The layers, top to bottom, and the directories of src/ in each. */
const LAYER_DIRS: Array<[string, string[]]> = [
  ['cli', ['cli']],
  ['features', ['matrix', 'report', 'bisect', 'release', 'boot', 'rebase', 'inline', 'budget', 'diff']],
  ['services', ['store', 'tree', 'kbuild', 'toolchain', 'measure', 'queue', 'merge', 'patch', 'source', 'pipeline']],
  ['util', ['util']],
];

/** Each directory of src/ with its layer's name and height (util is 0). */
const LAYERS = new Map(LAYER_DIRS.flatMap(([name, dirs], i) => dirs.map((d) => [d, { name, height: LAYER_DIRS.length - 1 - i }] as const)));

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative module specifiers of a file: static imports and re-exports, and import(). */
function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*'([^']+)'/g)) out.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) out.push(m[1]!);
  return out.filter((s) => s.startsWith('.'));
}

/** The process layer: the one module that spawns processes (run, stream, start). */
const PROCESS_LAYER = 'util/exec.ts';

/**
 * Modules that may start processes by other means, with the reason. Libraries that spawn on
 * their own (simple-git in src/tree/user-repo.ts) do not import node:child_process and need no
 * entry here.
 */
const SPAWN_ALLOWED = new Map<string, string>([]);

/** Files (relative to src/) outside the process layer that import node:child_process. */
function childProcessImports(files: Array<{ file: string; text: string }>): string[] {
  return files
    .filter(({ file, text }) => {
      const rel = relative(SRC, file).split(sep).join('/');
      return rel !== PROCESS_LAYER && !SPAWN_ALLOWED.has(rel) && /(?:(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*|\bimport\(\s*|\brequire\(\s*)'(?:node:)?child_process'/.test(text);
    })
    .map(({ file }) => `src/${relative(SRC, file).split(sep).join('/')}`)
    .sort();
}

/** The directory of src/ a path belongs to. */
const topDir = (abs: string) => relative(SRC, abs).split(sep)[0]!;

/** "src/a/b.ts (features) imports ../cli/c.js (cli)" for every import that points up. */
function upwardImports(files: Array<{ file: string; text: string }>): string[] {
  const out: string[] = [];
  for (const { file, text } of files) {
    const own = LAYERS.get(topDir(file));
    for (const spec of importsOf(text)) {
      const theirs = LAYERS.get(topDir(resolve(dirname(file), spec)));
      if (own && theirs && theirs.height > own.height) out.push(`src/${relative(SRC, file)} (${own.name}) imports ${spec} (${theirs.name})`);
    }
  }
  return out.sort();
}

describe('layers', () => {
  it('gives every directory under src/ a layer', () => {
    const entries = readdirSync(SRC);
    expect(entries.filter((d) => statSync(join(SRC, d)).isDirectory() && !LAYERS.has(d))).toEqual([]);
    expect(entries.filter((e) => e.endsWith('.ts'))).toEqual([]);
  });

  it('reads imports, re-exports and import() of a file, not comments', () => {
    const text = `import { a } from '../util/fs.js';\nimport type {\n  B,\n} from './b.js';\nexport { c } from '../cli/c.js';\nconst d = await import('../store/d.js');\nimport { e } from 'node:fs';\n// see from '../nowhere.js'\n`;
    expect(importsOf(text)).toEqual(['../util/fs.js', './b.js', '../cli/c.js', '../store/d.js']);
  });

  it('names an import that points up', () => {
    const file = join(SRC, 'matrix', 'setup.ts');
    expect(upwardImports([{ file, text: "import { TOOL_VERSION } from '../cli/version.js';\nimport { x } from '../store/index.js';\n" }])).toEqual([
      'src/matrix/setup.ts (features) imports ../cli/version.js (cli)',
    ]);
  });

  it('finds an import of child_process, with or without node:, and import()', () => {
    const at = (name: string) => join(SRC, name);
    expect(
      childProcessImports([
        { file: at('util/exec.ts'), text: "import { spawn } from 'node:child_process';\n" },
        { file: at('boot/qemu.ts'), text: "import { spawn } from 'node:child_process';\n" },
        { file: at('tree/tarball.ts'), text: "import type { ChildProcess } from 'child_process';\n" },
        { file: at('cli/x.ts'), text: "const cp = await import('node:child_process');\n" },
        { file: at('cli/y.ts'), text: "// no import from 'node:child_process' here: comment only\nconst a = 1;\n" },
      ]),
    ).toEqual(['src/boot/qemu.ts', 'src/cli/x.ts', 'src/tree/tarball.ts']);
  });

  it('spawns processes only in the process layer (src/util/exec.ts)', () => {
    const files = sourceFiles(SRC).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
    expect(childProcessImports(files)).toEqual([]);
  });

  it('has no import pointing up a layer (cli -> features -> services -> util)', () => {
    const files = sourceFiles(SRC).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
    expect(upwardImports(files)).toEqual([]);
  });
});
