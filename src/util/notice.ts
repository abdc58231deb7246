// Notices: one line on stderr when tiny repairs something on its own (a lock left by a killed
// run taken over, a half-made worktree checked out again), so a recovery is never silent.
// Modules deep down (locks, the tree store) say it here instead of threading a callback through
// every caller; the CLI and tests may redirect it.

export type NoticeSink = (line: string) => void;

const toStderr: NoticeSink = (line) => {
  process.stderr.write(`tiny: ${line}\n`);
};

let sink: NoticeSink = toStderr;

/** Say `line` (without the "tiny: " prefix). */
export function notice(line: string): void {
  sink(line);
}

/** Send notices elsewhere (undefined: back to stderr); returns the previous sink. */
export function setNoticeSink(next: NoticeSink | undefined): NoticeSink {
  const prev = sink;
  sink = next ?? toStderr;
  return prev;
}
