// Random text files and edits for the differential tests against GNU patch
// (test/unit/patch-apply-vs-gnu-patch.test.ts: the applier; test/integration/series-vs-gnu-patch
// .test.ts: the whole series). Seeded, so a failing case can be made again.

/** A deterministic PRNG (mulberry32). */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}
export type Rng = ReturnType<typeof prng>;

// Repeated lines make several positions match, which exercises the nearest-first search order.
const COMMON = ['{', '}', '', '\treturn 0;', '\tint i;', '} else {', '\tbreak;', '#endif', '\tif (err)', '\t\tgoto out;'];
let uniq = 0;
export const line = (rng: Rng, tag: string) => (rng.chance(0.35) ? rng.pick(COMMON) : `${tag} ${++uniq} ${rng.int(0, 99)}`);

export interface Doc {
  lines: string[];
  noNl: boolean;
}
export const render = (d: Doc, crlf: boolean) => {
  if (!d.lines.length) return '';
  const ls = crlf ? d.lines.map((l) => l + '\r') : d.lines;
  return ls.join('\n') + (d.noNl ? '' : '\n');
};

export function edit(rng: Rng, lines: string[], clusters: number, tag: string): string[] {
  const out = [...lines];
  for (let c = 0; c < clusters; c++) {
    const at = rng.int(0, out.length);
    const del = Math.min(rng.int(0, 3), out.length - at);
    const ins = Array.from({ length: rng.int(del ? 0 : 1, 3) }, () => line(rng, tag));
    out.splice(at, del, ...ins);
  }
  return out;
}

/** Perturb a target: shift by inserting/deleting/duplicating lines (offsets), alter lines (fuzz or failure). */
export function perturb(rng: Rng, lines: string[]): string[] {
  const out = [...lines];
  const n = rng.int(1, 4);
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    const at = rng.int(0, Math.max(out.length - 1, 0));
    if (r < 0.15 && out.length) {
      // A copy of another stretch of the file: the same context appears twice, so the
      // nearest-first order of the search decides.
      const from = rng.int(0, out.length - 1);
      out.splice(at, 0, ...out.slice(from, from + rng.int(3, 9)));
    } else if (r < 0.45) out.splice(at, 0, ...Array.from({ length: rng.int(1, 6) }, () => line(rng, 'shift')));
    else if (r < 0.7 && out.length) out.splice(at, rng.int(1, 3));
    else if (out.length) out[at] = out[at] + ' /* changed */';
  }
  return out;
}

export interface Case {
  name: string;
  base: string;
  next: string;
  target: string;
}

export function makeCase(rng: Rng, name: string, reverse: boolean): Case {
  const crlf = rng.chance(0.08);
  const len = rng.chance(0.1) ? rng.int(0, 6) : rng.int(5, 120);
  const baseLines = Array.from({ length: len }, () => line(rng, 'base'));
  const newLines = edit(rng, baseLines, rng.int(1, 4), 'new');
  const base: Doc = { lines: baseLines, noNl: baseLines.length > 0 && rng.chance(0.12) };
  const next: Doc = { lines: newLines, noNl: newLines.length > 0 && rng.chance(0.12) };
  // The target starts from the side the patch expects (new side when reversing), or from the
  // other side (already applied), then is perturbed.
  const alreadyApplied = rng.chance(0.08);
  const from = reverse !== alreadyApplied ? next : base;
  let tLines = from.lines;
  let tNoNl = from.noNl;
  if (rng.chance(0.6)) tLines = perturb(rng, tLines);
  if (rng.chance(0.05)) tNoNl = !tNoNl;
  const target: Doc = { lines: tLines, noNl: tNoNl && tLines.length > 0 };
  return { name, base: render(base, crlf), next: render(next, crlf), target: render(target, crlf) };
}
