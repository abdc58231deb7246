// Diagnostics: every problem with user input is reported as file:line:column, a message and a
// hint saying what to do. Commands collect all of them before failing (exit 2).

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  file: string;
  line?: number; // 1-based
  column?: number; // 1-based
  message: string;
  hint?: string;
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, checkFailed: 1, badInput: 2 } as const;

/** An error the user can act on: bad input (exit 2) or a failed check (exit 1). */
export class TinyError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
    readonly diagnostics: Diagnostic[] = [],
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'TinyError';
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = [d.file, d.line, d.line !== undefined ? d.column : undefined].filter((x) => x !== undefined).join(':');
  const text = `${where}: ${d.severity}: ${d.message}`;
  return d.hint ? `${text}\n  hint: ${d.hint}` : text;
}

export function errorsIn(diags: Diagnostic[]): Diagnostic[] {
  return diags.filter((d) => d.severity === 'error');
}
