// Options shared by several verbs.

import { Option, type Command } from 'commander';
import { locateQueue } from '../queue/locate.js';
import type { RuntimeName } from '../toolchain/runtime.js';
import { TinyError } from '../util/diagnostics.js';

export type OutputFormat = 'text' | 'md' | 'json';

export function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

/**
 * collect() for an option whose list narrows what is done (--only): a value naming nothing
 * (`--only ,`, `--only ''`) is an error, not "everything".
 */
export function collectNames(flag: string) {
  return (value: string, previous: string[] = []): string[] => {
    const names = collect(value, []);
    if (!names.length) throw new TinyError(`${flag} ${JSON.stringify(value)} names nothing`, 2, [], `give one or more names, comma-separated, or leave ${flag} out to take them all`);
    return [...previous, ...names];
  };
}

/** --format text|md|json and its --json shorthand, for every command that prints a table. */
export function addFormatOptions(cmd: Command, formats: string[] = ['text', 'md', 'json']): Command {
  return cmd.addOption(new Option('--format <format>', 'output format').choices(formats).default('text')).option('--json', 'same as --format json');
}

export function outputFormat(opts: { format?: string; json?: boolean }): OutputFormat {
  return opts.json ? 'json' : ((opts.format ?? 'text') as OutputFormat);
}

/** --queue's help: without it, the queue is found upward from the current directory (src/queue/locate.ts). */
export const QUEUE_HELP = 'the queue directory, holding queue.yaml (default: $TINY_QUEUE, else the nearest queue/queue.yaml here or above)';

export function addQueueOption(cmd: Command): Command {
  return cmd.option('--queue <dir>', QUEUE_HELP);
}

export function addBaseOptions(cmd: Command, many: boolean): Command {
  return cmd
    .option('--tree <dir>', many ? 'a kernel tree (directory or tarball) to use as a base; repeat for several' : 'a kernel tree (directory or tarball) to use as the base', collect)
    .option('--base <version>', many ? 'a base version the queue claims; repeat for several' : 'the base version to use', collect)
    .option(ALLOW_OTHER_BASE, ALLOW_OTHER_BASE_HELP);
}

/** --allow-other-base: the one way past the queue's base.tree pin (src/pipeline/bases.ts). */
export const ALLOW_OTHER_BASE = '--allow-other-base';
export const ALLOW_OTHER_BASE_HELP = "with --tree: use a tree that is none of the queue's pinned bases (base.tree) as the base";

/** The queue directory: --queue, else $TINY_QUEUE, else queue/queue.yaml found upward (an error naming where it looked). */
export function queueDir(opts: { queue?: unknown }): string {
  return locateQueue(typeof opts.queue === 'string' ? opts.queue : undefined);
}

export function writeOut(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

/** Raise the exit code main() ends with to `code` (a command may report several outcomes; the worst wins). */
export function setExit(cmd: Command, code: number): void {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  const current = (root.getOptionValue('exitCode') as number | undefined) ?? 0;
  root.setOptionValue('exitCode', Math.max(current, code));
}

/** A commander parser for a whole number of at least 1 (--jobs, --lanes, ...). */
export function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new TinyError(`${name} must be a whole number of at least 1, not '${v}'`, 2);
    return n;
  };
}

/** What build, boot and inline-cost pass to prepareMatrix from their shared options. */
export function matrixOptions(opts: Record<string, unknown>): { config: string; queueDir: string; tree?: string; allowOtherBase?: boolean; base?: string; runtime?: RuntimeName; jobs?: number } {
  return {
    config: opts.config as string,
    queueDir: queueDir(opts),
    ...(opts.tree ? { tree: opts.tree as string } : {}),
    ...(opts.allowOtherBase ? { allowOtherBase: true } : {}),
    ...(opts.base ? { base: opts.base as string } : {}),
    ...(opts.runtime ? { runtime: opts.runtime as RuntimeName } : {}),
    ...(opts.jobs ? { jobs: opts.jobs as number } : {}),
  };
}
