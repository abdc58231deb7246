// The runtime section of `tiny report` (src/report/runtime.ts) and the settings of `tiny build
// --boot` (src/boot/after-build.ts): boots compared under one condition, per patch the image
// bytes and the kB of MemFree a flip saves, and the configuration's boot: key read as data.

import { describe, expect, it } from 'vitest';
import { afterBuildBoot } from '../../src/boot/after-build.js';
import { buildRuntimeReport, renderRuntimeText, runtimeToJson, type RuntimeBoot } from '../../src/report/runtime.js';
import { Ajv } from 'ajv';
import { readSchema } from '../helpers/json-contract.js';

const root = { sha256: 'ab'.repeat(32) };
const boot = (memFreeKiB: number, o: Partial<RuntimeBoot> = {}): RuntimeBoot => ({
  memKiB: 16384,
  limit: 'machine',
  root,
  booted: true,
  memTotalKiB: 15000,
  memFreeKiB,
  reservedKiB: 16384 - 15000,
  reservedFrom: 'mem-total',
  toInitMs: 2100,
  http: { served: true, memFreeKiB: memFreeKiB - 8, roundTripsMs: [30, 12, 10] },
  at: '2026-12-05T00:00:00.000Z',
  ...o,
});

describe('the runtime report', () => {
  const toggles = [
    { toggle: 'base', imageBytes: 420_000, boots: [boot(14_200)] },
    { toggle: 'queue', imageBytes: 367_572, boots: [boot(14_600), boot(900, { memKiB: 2048, limit: 'kernel', at: '2026-12-05T01:00:00.000Z' })] },
    { toggle: 'all-off', imageBytes: 367_000, boots: [boot(14_640)] },
    // FULL_STACKS: saves image, costs memory (8K stacks instead of 4K).
    { toggle: 'flip:full-stacks', imageBytes: 367_200, boots: [boot(14_592)] },
    { toggle: 'flip:printk', imageBytes: 400_000, boots: [] },
  ];

  it('compares the toggles under the condition most were booted under, per patch image and MemFree', () => {
    const r = buildRuntimeReport(toggles)!;
    expect(r.condition).toEqual({ memKiB: 16384, limit: 'machine', http: true });
    expect(r.notBooted).toEqual(['flip:printk']);
    expect(r.rows).toEqual([
      { name: 'all-off', toggle: 'all-off', imageSaved: 572, freeSavedKiB: 40, servingFreeSavedKiB: 40, reservedSavedKiB: 0 },
      { name: 'full-stacks', toggle: 'flip:full-stacks', imageSaved: 372, freeSavedKiB: -8, servingFreeSavedKiB: -8, reservedSavedKiB: 0 },
    ]);
    const text = renderRuntimeText(r);
    expect(text).toContain('Runtime: each toggle booted under qemu (-m 16M, serving HTTP)');
    expect(text).toMatch(/^full-stacks +\+372 +-8 +-8 +0$/m);
    expect(text).toContain('not booted under this condition: flip:printk');
    expect(text).toContain('* no printk: the memory under test less MemTotal');
  });

  it('a boot that did not serve is not compared; no boot at all: no section', () => {
    const failed = boot(14_000, { http: { served: false, roundTripsMs: [] } });
    expect(buildRuntimeReport([{ toggle: 'queue', boots: [failed] }])).toBeUndefined();
    expect(buildRuntimeReport([{ toggle: 'queue', boots: [] }])).toBeUndefined();
  });

  it('is the runtime key of the JSON report', () => {
    const json = runtimeToJson(buildRuntimeReport(toggles)!);
    expect(json).toMatchObject({ condition: { mem_kib: 16384, limit: 'machine', http: true }, not_booted: ['flip:printk'] });
    // The report schema's runtime key, alone (a whole report is tested in json-contracts).
    const validate = new Ajv({ allErrors: true, strict: true }).compile(readSchema('output/report').properties!.runtime!);
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
  });
});

describe('tiny build --boot settings', () => {
  const displayFile = 'configs/x.yaml';
  it('none without boot: or --boot; the memory from boot:, the mode from --boot', () => {
    expect(afterBuildBoot({ displayFile }, undefined)).toBeUndefined();
    expect(afterBuildBoot({ displayFile }, 'auto')).toEqual({ http: 'auto', memKiB: 32768, limit: 'machine', machineKiB: 32768, timeoutMs: 120_000 });
    expect(afterBuildBoot({ displayFile, boot: { http: 'always', mem: '2M', limit: 'kernel', machineMem: '16M' } }, undefined)).toEqual({
      http: 'always',
      memKiB: 2048,
      limit: 'kernel',
      machineKiB: 16384,
      timeoutMs: 120_000,
    });
    expect(afterBuildBoot({ displayFile, boot: { http: 'always', mem: '16M' } }, 'init')?.http).toBe('never');
  });

  it('a mem= above the machine is bad input naming the file', () => {
    expect(() => afterBuildBoot({ displayFile, boot: { http: 'auto', mem: '64M', limit: 'kernel', machineMem: '16M' } }, undefined)).toThrow(
      'configs/x.yaml: boot.mem 64M is more than boot.machine_mem 16M',
    );
  });
});
