// Progress of a matrix run with listr2: one line per toggle with its state, elapsed time and
// ETA. On a terminal the lines update in place every second; elsewhere (CI, a pipe) listr2's
// verbose renderer prints one plain line per state change. Everything goes to stderr, so
// stdout carries only the result (the table, or JSON).
//
// ETA: a toggle is expected to take as long as its last build did (timings kept in the cache,
// matrix/timings/<config>.json); a toggle never built before is expected to take the median of
// the toggles built after the first one in this run (incremental builds), or as the first one
// while that is all there is. The run's ETA adds up the running and waiting toggles.

import { Listr, ListrLogger, ListrLogLevels, ProcessOutput, type ListrTaskWrapper } from 'listr2';
import { formatDuration } from './report.js';
import type { Toggle } from './plan.js';
import type { MatrixRunner, ToggleEvent, ToggleResult, ToggleState } from './run.js';
import type { Timings } from './memo.js';

interface Tracked {
  toggle: Toggle;
  state: ToggleState;
  startedAt?: number;
  lane?: number;
  message?: string;
  task?: ListrTaskWrapper<unknown, never, never>;
  shown?: string;
}

const STATE_WORDS: Record<ToggleState, string> = {
  queued: 'queued',
  waiting: 'waiting for the queue point',
  lane: 'waiting for a lane',
  tree: 'tree',
  config: 'configuring',
  building: 'building',
  measuring: 'measuring',
  cached: 'cached',
  built: 'built',
  failed: 'FAILED',
  interrupted: 'interrupted',
  'not-applicable': 'n/a',
};

const FINAL = new Set<ToggleState>(['cached', 'built', 'failed', 'interrupted', 'not-applicable']);

export interface ProgressOptions {
  /** Update lines in place (a terminal); default: process.stderr.isTTY. */
  tty?: boolean;
  /** Last builds' durations per toggle name. */
  timings: Timings;
  lanes: number;
  /** Where progress goes (default process.stderr). */
  stream?: NodeJS.WriteStream;
}

export class MatrixProgress {
  private readonly tracked = new Map<string, Tracked>();
  /** Durations of the toggles built in this run, in order. */
  private readonly builtMs: number[] = [];
  private readonly width: number;
  readonly tty: boolean;

  constructor(
    toggles: readonly Toggle[],
    private readonly opts: ProgressOptions,
  ) {
    for (const t of toggles) this.tracked.set(t.name, { toggle: t, state: 'queued' });
    this.width = Math.max(...toggles.map((t) => t.name.length), 6);
    this.tty = opts.tty ?? process.stderr.isTTY === true;
  }

  /** What the runner reports (pass as RunOptions.onEvent). */
  onEvent = (e: ToggleEvent): void => {
    const tr = this.tracked.get(e.toggle.name);
    if (!tr) return;
    if (tr.startedAt === undefined && e.state !== 'queued') tr.startedAt = Date.now() - e.elapsedMs;
    const changed = tr.state !== e.state;
    tr.state = e.state;
    if (e.lane !== undefined) tr.lane = e.lane;
    if (e.message) tr.message = e.message;
    if (e.state === 'built' && changed) this.builtMs.push(e.elapsedMs);
    if (changed) this.show(tr);
  };

  private show(tr: Tracked): void {
    if (!tr.task) return;
    const t = this.title(tr);
    if (t === tr.shown) return;
    tr.shown = t;
    tr.task.title = t;
  }

  /**
   * Expected duration of a toggle's build: its last build's; else, once toggles after the
   * first were built in this run, their median (the first build is the full one, the others
   * incremental); else the first build's.
   */
  estimate(name: string): number | undefined {
    const known = this.opts.timings[name]?.ms;
    if (known !== undefined) return known;
    const later = this.builtMs.slice(1).sort((a, b) => a - b);
    if (later.length) return later[Math.floor(later.length / 2)];
    return this.builtMs[0];
  }

  /** Expected time left for the whole run (undefined while nothing is known). */
  runEta(now = Date.now()): number | undefined {
    let total = 0;
    let known = false;
    for (const tr of this.tracked.values()) {
      if (FINAL.has(tr.state)) continue;
      const est = this.estimate(tr.toggle.name);
      if (est === undefined) continue;
      known = true;
      const elapsed = tr.startedAt !== undefined ? now - tr.startedAt : 0;
      total += Math.max(0, est - elapsed);
    }
    return known ? Math.round(total / Math.max(1, this.opts.lanes)) : undefined;
  }

  title(tr: Tracked, now = Date.now()): string {
    const name = tr.toggle.name.padEnd(this.width);
    const word = STATE_WORDS[tr.state];
    if (tr.state === 'queued') {
      const est = this.estimate(tr.toggle.name);
      return `${name}  queued${est !== undefined ? `  (~${formatDuration(est)})` : ''}`;
    }
    const elapsed = tr.startedAt !== undefined ? now - tr.startedAt : 0;
    if (FINAL.has(tr.state)) {
      return `${name}  ${word}  ${formatDuration(elapsed)}${(tr.state === 'failed' || tr.state === 'not-applicable') && tr.message ? `  ${tr.message}` : ''}`;
    }
    const est = this.estimate(tr.toggle.name);
    const eta = est !== undefined ? `  ETA ${est > elapsed ? formatDuration(est - elapsed) : 'any moment'}` : '';
    const run = this.runEta(now);
    const lane = this.opts.lanes > 1 && tr.lane !== undefined ? `  [lane ${tr.lane}]` : '';
    return `${name}  ${word}  ${formatDuration(elapsed)}${eta}${run !== undefined ? `  (run: ~${formatDuration(run)} left)` : ''}${lane}`;
  }

  /** Run every toggle through the runner under listr2; results in the toggles' order. */
  async run(runner: MatrixRunner, toggles: readonly Toggle[]): Promise<ToggleResult[]> {
    const results = new Map<string, ToggleResult>();
    const stream = this.opts.stream ?? process.stderr;
    const output = new ProcessOutput(stream, stream, { dump: [], leaveEmptyLine: false });
    const logger = new ListrLogger({ processOutput: output, useIcons: this.tty, toStderr: Object.values(ListrLogLevels) });
    const list = new Listr(
      toggles.map((t) => ({
        title: this.title(this.tracked.get(t.name)!),
        task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
          const tr = this.tracked.get(t.name)!;
          tr.task = task;
          const r = await runner.runToggle(t);
          results.set(t.name, r);
          this.show(tr);
          if (r.status === 'failed') throw new Error(`${t.name}: ${r.error ?? 'failed'}`);
        },
      })),
      {
        concurrent: Math.max(1, this.opts.lanes),
        exitOnError: false,
        registerSignalListeners: false,
        renderer: this.tty ? 'default' : 'verbose',
        rendererOptions: this.tty ? { logger, showErrorMessage: false, collapseErrors: true } : { logger, logTitleChange: true },
        fallbackRenderer: 'verbose',
        fallbackRendererOptions: { logger, logTitleChange: true },
        fallbackRendererCondition: !this.tty,
        forceTTY: this.tty,
      } as never,
    );
    const tick = this.tty
      ? setInterval(() => {
          for (const tr of this.tracked.values()) if (!FINAL.has(tr.state) && tr.state !== 'queued') this.show(tr);
        }, 1000)
      : undefined;
    try {
      await list.run();
    } catch {
      /* failures are in the results */
    } finally {
      if (tick) clearInterval(tick);
    }
    return toggles.map((t) => results.get(t.name)!).filter(Boolean);
  }
}
