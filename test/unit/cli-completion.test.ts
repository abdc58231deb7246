// `tiny completion`: the scripts come from commander's command tree, and the bash one really
// completes: bash runs with the script sourced, COMP_WORDS/COMP_CWORD set as readline sets
// them for `tiny queue ch<TAB>`, and prints what _tiny put in COMPREPLY.

import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { bashCompletion, completionScript, completionTree, fishCompletion, zshCompletion } from '../../src/cli/completion.js';
import { run } from '../../src/util/exec.js';

const tree = completionTree(await buildProgram());
const BASH = bashCompletion(tree);

/** What bash completes for the command line `line` (the cursor at its end), one candidate a line. */
async function complete(line: string): Promise<string[]> {
  const words = line.split(' ');
  const script = `${BASH}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})\nCOMP_CWORD=${words.length - 1}\nCOMP_LINE='${line}'\nCOMP_POINT=${line.length}\n_tiny\nprintf '%s\\n' "\${COMPREPLY[@]}"\n`;
  const r = await run('bash', ['--norc', '--noprofile', '-c', script]);
  return r.stdout.split('\n').filter(Boolean);
}

describe('tiny completion bash (run in bash)', () => {
  it('completes tiny queue ch<TAB> to check', async () => {
    expect(await complete('tiny queue ch')).toEqual(['check']);
  });

  it('offers the subcommands of tiny, and of tiny queue after an option and its value', async () => {
    expect(await complete('tiny ')).toContain('completion');
    expect(await complete('tiny qu')).toEqual(['queue']);
    expect(await complete('tiny queue --help ')).toEqual(['check', 'apply', 'list', 'import-quilt', 'export-quilt', 'refresh', 'rebase']);
    expect(await complete('tiny toolchain ')).toEqual(['list', 'show', 'build']);
  });

  it('completes the options of the command under the cursor', async () => {
    expect(await complete('tiny queue check --f')).toEqual(['--format']);
    expect(await complete('tiny build --ru')).toEqual(['--runtime']);
    // --queue's value (a directory named "list") is not taken for the subcommand list.
    expect(await complete('tiny queue check --queue list --no')).toEqual(['--no-pairs']);
  });

  it("completes an option's fixed values, with and without =", async () => {
    expect(await complete('tiny queue list --format ')).toEqual(['text', 'md', 'json']);
    expect(await complete('tiny build --runtime p')).toEqual(['podman']);
    expect(await complete('tiny report --format=h')).toEqual(['--format=html']);
  });

  it('leaves a value without fixed choices to file-name completion (nothing from _tiny)', async () => {
    expect(await complete('tiny queue list --queue ')).toEqual([]);
    expect(await complete('tiny diff ')).toEqual([]);
  });

  it('registers _tiny for the tiny command', async () => {
    const r = await run('bash', ['--norc', '--noprofile', '-c', `${BASH}\ncomplete -p tiny`]);
    expect(r.stdout.trim()).toBe('complete -o bashdefault -o default -F _tiny tiny');
  });
});

describe('the completion tree', () => {
  it('has every command of the CLI with its options and choices', () => {
    const check = tree.find((n) => n.path === 'queue check')!;
    expect(check.options.find((o) => o.names.includes('--format'))).toMatchObject({ takesValue: true, choices: ['text', 'md', 'json'] });
    expect(check.options.find((o) => o.names.includes('--checkpatch'))).toMatchObject({ takesValue: false });
    expect(tree.find((n) => n.path === '')!.subcommands.map((s) => s.name)).toContain('completion');
    expect(tree.find((n) => n.path === 'diff')!.options.flatMap((o) => o.names)).toEqual(expect.arrayContaining(['-c', '-d', '-t', '--prefix']));
  });

  it('bash -n reads the bash script', async () => {
    await run('bash', ['-n', '-c', BASH]);
  });
});

describe('tiny completion fish (run in fish: complete -C asks its completion engine)', () => {
  const FISH = fishCompletion(tree);
  const fishComplete = async (line: string) => {
    const r = await run('fish', ['--no-config', '-c', `${FISH}\ncomplete -C ${JSON.stringify(line)}`]);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')[0]);
  };

  it('completes tiny queue ch<TAB> to check, and options, values and subcommands by path', async () => {
    expect(await fishComplete('tiny queue ch')).toEqual(['check']);
    expect(await fishComplete('tiny queue list --format ')).toEqual(['json', 'md', 'text']);
    expect(await fishComplete('tiny queue check --queue list --no')).toEqual(['--no-pairs']);
    expect(await fishComplete('tiny toolchain ')).toEqual(['build', 'list', 'show']);
  });
});

describe("tiny completion zsh (run in zsh, compsys's compadd/_describe/_files stood in for)", () => {
  // Outside an interactive completion zsh has no compsys: the three builtins it calls print
  // what they were given instead (the real ones then filter by the word under the cursor).
  const zshComplete = async (line: string) => {
    const stubs = `compdef() { :; }\ncompadd() { [[ $1 == -- ]] && shift; print -l -- "$@"; }\n_describe() { local -a arr; arr=("\${(@P)4}"); print -l -- "\${arr[@]%%:*}"; }\n_files() { print -- '<files>'; }\n`;
    const call = `words=(${line
      .split(' ')
      .map((w) => `'${w}'`)
      .join(' ')})\nCURRENT=\${#words}\n_tiny\n`;
    const r = await run('zsh', ['-f', '-c', `${stubs}${zshCompletion(tree)}\n${call}`]);
    return r.stdout.split('\n').filter(Boolean);
  };

  it("offers tiny queue's subcommands, an option's values, and files for a directory", async () => {
    expect(await zshComplete('tiny queue ch')).toEqual(['check', 'apply', 'list', 'import-quilt', 'export-quilt', 'refresh', 'rebase']);
    expect(await zshComplete('tiny queue list --format ')).toEqual(['text', 'md', 'json']);
    expect(await zshComplete('tiny queue list --queue ')).toEqual(['<files>']);
    expect(await zshComplete('tiny queue check --queue list --no')).toContain('--no-pairs');
    expect(completionScript('zsh', await buildProgram()).startsWith('#compdef tiny\n')).toBe(true);
  });
});
