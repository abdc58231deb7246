// The difference between two .config files: which CONFIG_ symbols changed value, appeared or
// disappeared. `# CONFIG_FOO is not set` reads as the value n.

export interface ConfigChange {
  /** Without the CONFIG_ prefix. */
  symbol: string;
  /** Value before (y, m, n, a number or a quoted string); null when the symbol was absent. */
  before: string | null;
  after: string | null;
}

const SET = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/;
const UNSET = /^# CONFIG_([A-Za-z0-9_]+) is not set\s*$/;

export function parseDotConfig(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const set = SET.exec(line.trimEnd());
    if (set) {
      values.set(set[1]!, set[2]!);
      continue;
    }
    const unset = UNSET.exec(line);
    if (unset) values.set(unset[1]!, 'n');
  }
  return values;
}

/** Changed symbols, sorted by name. */
export function diffDotConfig(before: string, after: string): ConfigChange[] {
  const a = parseDotConfig(before);
  const b = parseDotConfig(after);
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: ConfigChange[] = [];
  for (const symbol of names) {
    const x = a.get(symbol) ?? null;
    const y = b.get(symbol) ?? null;
    if (x !== y) out.push({ symbol, before: x, after: y });
  }
  return out;
}

export function formatConfigChange(c: ConfigChange): string {
  return `CONFIG_${c.symbol}: ${c.before ?? '(absent)'} -> ${c.after ?? '(absent)'}`;
}
