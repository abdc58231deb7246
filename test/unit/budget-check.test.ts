import { describe, expect, it } from 'vitest';
import {
  budgetExitCode,
  budgetsForBase,
  checkBudgets,
  optionOffIn,
  justificationsOf,
  parseJustification,
  renderBudgetCheck,
  sizeBudgetToggle,
  sizeText,
  type ToggleSizes,
} from '../../src/budget/index.js';

const t = (toggle: string, dec: number, bz?: number): ToggleSizes => ({
  toggle,
  size: { text: dec - 100, data: 60, bss: 40, dec },
  files: { vmlinux: { bytes: dec * 2 }, ...(bz !== undefined ? { bzImage: { bytes: bz } } : {}) },
});

describe('budgets', () => {
  it('size budgets apply to the queue point (the kernel the configuration describes), else base', () => {
    expect(sizeBudgetToggle(['base', 'queue', 'all-off', 'flip:x'])).toBe('queue');
    expect(sizeBudgetToggle(['base', 'queue'])).toBe('queue');
    expect(sizeBudgetToggle(['base'])).toBe('base');
  });
  it('names the budget, the value, the limit and the excess', () => {
    const c = checkBudgets({ budgets: { bzImage: 409600, dec: 1_000_000 }, results: [t('base', 500_000, 420_000), t('queue', 470_000, 412_345), t('all-off', 300_000, 200_000)] });
    expect(c.failures).toHaveLength(1);
    expect(c.failures[0]!.message).toBe('bzImage 412,345 bytes > budget 400K (409,600) by 2,745 bytes in toggle queue');
    expect(budgetExitCode(c)).toBe(1);
    expect(renderBudgetCheck(c)).toContain('✗ bzImage 412,345 bytes > budget 400K (409,600) by 2,745 bytes in toggle queue');
  });
  it('passes under budget, and says so', () => {
    const c = checkBudgets({ budgets: { bzImage: 409600 }, results: [t('queue', 1000, 400_000)] });
    expect(c.violations).toEqual([]);
    expect(budgetExitCode(c)).toBe(0);
    expect(renderBudgetCheck(c)).toMatch(/budgets ok \(queue\): bzImage 400,000 ≤ 400K/);
  });
  it('min_saving_per_patch: flips vs queue; a justified patch is accepted and listed', () => {
    const results = [t('queue', 10_000), t('flip:good', 9_000), t('flip:small', 9_990), t('flip:grows', 10_300), t('without:plain', 10_050)];
    const c = checkBudgets({ budgets: { min_saving_per_patch: 100 }, results, justifications: { grows: 'needed for the RTC on the board' } });
    const by = Object.fromEntries(c.violations.map((v) => [v.patch, v]));
    expect(Object.keys(by).sort()).toEqual(['grows', 'plain', 'small']);
    expect(by.small!.accepted).toBe(false);
    expect(by.small!.message).toBe('patch small saves 10 bytes (dec, flip:small vs queue: option off vs on) < min_saving_per_patch 100 by 90 bytes');
    expect(by.grows!.accepted).toBe(true);
    expect(by.grows!.message).toMatch(/patch grows grows the kernel by 300 bytes/);
    expect(by.plain!.actual).toBe(50);
    expect(c.failures.map((v) => v.patch).sort()).toEqual(['plain', 'small']);
    const text = renderBudgetCheck(c);
    expect(text).toContain('Size-Justification: needed for the RTC on the board');
  });
  it('a tiny configuration turns options off in its fragment: its flips turn them on', () => {
    const results = [t('queue', 9_000), { ...t('flip:printk', 10_000), optionOff: false }, { ...t('flip:small', 9_010), optionOff: false }];
    const c = checkBudgets({ budgets: { min_saving_per_patch: 100 }, results });
    expect(c.failures.map((v) => v.message)).toEqual(['patch small saves 10 bytes (dec, flip:small vs queue: option on vs off) < min_saving_per_patch 100 by 90 bytes']);
    expect(c.checked.find((x) => x.toggle === 'flip:printk')!.actual).toBe(1_000);
  });
  it('per-base budgets: the set naming the base applies there, overriding the set for every base', () => {
    const sets = [
      { limits: { bzImage: 400_000, min_saving_per_patch: 64 }, where: 'configs/x.yaml:10' },
      { bases: ['2.6.9'], limits: { bzImage: 371_712 }, where: 'configs/x.yaml:12' },
      { bases: ['2.6.11'], limits: { dec: 900_000 }, where: 'configs/x.yaml:14' },
    ];
    expect(budgetsForBase(sets, '2.6.9')).toEqual({ limits: { bzImage: 371_712, min_saving_per_patch: 64 }, elsewhere: { dec: ['2.6.11 (configs/x.yaml:14)'] } });
    expect(budgetsForBase(sets, '2.6.11')).toEqual({ limits: { bzImage: 400_000, min_saving_per_patch: 64, dec: 900_000 }, elsewhere: {} });
    const on269 = checkBudgets({ budgets: sets, base: '2.6.9', results: [t('queue', 800_000, 380_000)] });
    expect(on269.failures.map((v) => v.message)).toEqual(['bzImage 380,000 bytes > budget 363K (371,712) by 8,288 bytes in toggle queue']);
    const on2611 = checkBudgets({ budgets: sets, base: '2.6.11', results: [t('queue', 800_000, 380_000)] });
    expect(on2611.failures).toEqual([]);
    expect(on2611.checked.map((x) => `${x.budget} ${x.limit}`)).toEqual(['bzImage 400000', 'dec 900000']);
  });
  it('a budget given for other bases only is not checked on this one, and says for which it is', () => {
    const sets = [{ bases: ['2.6.9'], limits: { bzImage: 371_712 }, where: 'configs/webserver-tiny.yaml:140' }];
    const c = checkBudgets({ budgets: sets, base: '2.6.11', results: [t('queue', 800_000, 381_876)] });
    expect(c.failures).toEqual([]);
    expect(c.checked).toEqual([]);
    expect(c.unchecked).toEqual([{ budget: 'bzImage', reason: 'the configuration gives no bzImage budget for 2.6.11, only for 2.6.9 (configs/webserver-tiny.yaml:140)' }]);
    expect(budgetExitCode(c)).toBe(0);
    expect(renderBudgetCheck(c, { config: 'webserver-tiny', base: '2.6.11' })).toBe(
      'budgets not checked (configuration webserver-tiny on 2.6.11):\n  ? bzImage: the configuration gives no bzImage budget for 2.6.11, only for 2.6.9 (configs/webserver-tiny.yaml:140)\n',
    );
    // The same sets on the base they name: checked, and the verdict says on which base.
    const ok = checkBudgets({ budgets: sets, base: '2.6.9', results: [t('queue', 800_000, 367_572)] });
    expect(renderBudgetCheck(ok, { config: 'webserver-tiny', base: '2.6.9' })).toBe('budgets ok (configuration webserver-tiny on 2.6.9) (queue): bzImage 367,572 ≤ 363K\n');
  });
  it('reads whether the option is off from a .config', () => {
    expect(optionOffIn('CONFIG_PRINTK=y\n', 'PRINTK')).toBe(false);
    expect(optionOffIn('# CONFIG_PRINTK is not set\n', 'PRINTK')).toBe(true);
    expect(optionOffIn('CONFIG_PRINTK_TIME=y\n', 'PRINTK')).toBe(true);
    expect(optionOffIn(undefined, 'PRINTK')).toBeUndefined();
  });
  it('failed toggles and missing targets are not checked, and said so', () => {
    const c = checkBudgets({ budgets: { bzImage: 1000, text: 5 }, results: [{ toggle: 'queue' }] });
    expect(c.failures).toEqual([]);
    expect(c.unchecked.map((u) => u.budget)).toEqual(['bzImage', 'text']);
    const d = checkBudgets({ budgets: { bzImage: 1000 }, results: [t('queue', 10)] });
    expect(d.unchecked[0]!.reason).toMatch(/no bzImage/);
  });
  it('no budgets: nothing to say', () => {
    expect(checkBudgets({ budgets: undefined, results: [t('queue', 1)] }).violations).toEqual([]);
  });
  it('parses the Size-Justification trailer from the patch header only', () => {
    const patch =
      'From: A <a@b>\nSubject: [PATCH] x\n\nbody\n\nSize-Justification: keeps the RTC\n  working on old boards\nSigned-off-by: A <a@b>\n---\n diff\ndiff --git a/x b/x\n+Size-Justification: not this one\n';
    expect(parseJustification(patch)).toBe('keeps the RTC working on old boards');
    expect(parseJustification('Subject: y\n---\n+Size-Justification: in the diff\n')).toBeUndefined();
    expect(
      justificationsOf([
        { name: 'a', text: patch },
        { name: 'b', text: 'Subject: b\n' },
      ]),
    ).toEqual({ a: 'keeps the RTC working on old boards' });
  });
  it('sizeText', () => {
    expect(sizeText(409600)).toBe('400K');
    expect(sizeText(1572864)).toBe('1.5M');
    expect(sizeText(1000)).toBe('1000');
  });
});
