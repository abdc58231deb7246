// Numbers as people read them, shared by every renderer (bisect, budgets, reports, changelogs).

/** 1234567 -> "1,234,567" (rounded to a whole number). */
export function commas(n: number): string {
  const s = Math.abs(Math.round(n))
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${s}` : s;
}
