// Budget verdicts (src/budget) as the size report lists them and JUnit exports them.

import { sizeText, type BudgetCheck } from '../budget/index.js';
import { commas } from '../util/format.js';
import type { ReportBudget } from './size-report.js';

/** src/budget's verdicts as the report shows them: violations, then the budgets that held, then those not checked. */
export function reportBudgets(c: BudgetCheck): ReportBudget[] {
  const out: ReportBudget[] = c.violations.map((v) => ({
    name: v.budget,
    toggle: v.toggle,
    ok: v.accepted,
    message: v.accepted ? `accepted: ${v.message}` : v.message,
    ...(v.justification !== undefined ? { justification: v.justification } : {}),
  }));
  const violated = new Set(c.violations.map((v) => `${v.budget} ${v.toggle}`));
  for (const x of c.checked) {
    if (violated.has(`${x.budget} ${x.toggle}`)) continue;
    const message = x.budget === 'min_saving_per_patch' ? `saves ${commas(x.actual)} bytes (dec, ${x.toggle} vs queue) >= ${sizeText(x.limit)}` : `${commas(x.actual)} bytes <= ${sizeText(x.limit)}`;
    out.push({ name: x.budget, toggle: x.toggle, ok: true, message });
  }
  for (const u of c.unchecked) out.push({ name: u.budget, ok: true, message: `not checked: ${u.reason}` });
  return out;
}
