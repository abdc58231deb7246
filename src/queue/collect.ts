// Collecting diagnostics while checking a queue: every check adds what it finds, and the
// loader reports them all at once, in the order they appear in queue.yaml.

import { relative } from 'node:path';
import type { Diagnostic, Severity } from '../util/diagnostics.js';
import type { Position } from '../util/yaml-schema.js';

interface Entry {
  diagnostic: Diagnostic;
  /** Offset in queue.yaml this diagnostic is about (for ordering). */
  order: number;
  seq: number;
}

export class Collector {
  private readonly entries: Entry[] = [];

  /** `file` is the display path of queue.yaml. */
  constructor(readonly file: string) {}

  /** A diagnostic at a position in queue.yaml. */
  at(pos: Position, message: string, hint?: string, severity: Severity = 'error'): void {
    this.add({ severity, file: this.file, line: pos.line, column: pos.column, message, ...(hint ? { hint } : {}) }, pos.offset);
  }

  /** A diagnostic about another file (a patch), ordered with the queue.yaml entry it came from. */
  add(diagnostic: Diagnostic, order: number): void {
    this.entries.push({ diagnostic, order, seq: this.entries.length });
  }

  get errorCount(): number {
    return this.entries.filter((e) => e.diagnostic.severity === 'error').length;
  }

  sorted(): Diagnostic[] {
    return [...this.entries].sort((a, b) => a.order - b.order || a.seq - b.seq).map((e) => e.diagnostic);
  }
}

/** `path` relative to `cwd` when that is shorter (what users type), else absolute. */
export function displayPath(path: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel !== '' && rel.length < path.length ? rel : path;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
