export {
  checkBudgets,
  budgetsForBase,
  budgetCheckJson,
  optionOffIn,
  justificationsOf,
  renderBudgetCheck,
  budgetExitCode,
  parseJustification,
  sizeBudgetToggle,
  sizeText,
  SIZE_BUDGETS,
  type BaseBudgets,
  type BudgetCheck,
  type BudgetViolation,
  type CheckBudgetsInput,
  type ToggleSizes,
} from './budget.js';
export { toggleSizesFromRecords, type RecordedToggle } from './records.js';
