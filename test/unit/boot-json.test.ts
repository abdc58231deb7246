// What `tiny boot` keeps and prints: a boot and a minimum-memory search, as the files in the
// record directory hold them (schema/boot-result.schema.json, read back in either version)
// and as `tiny boot --format json` prints them (schema/output/boot.schema.json). The boots are
// judged from a real 2.6.9 console transcript (test/fixtures/boot).

import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeConsole, lastLines } from '../../src/boot/console.js';
import { BOOT_RESULT_SCHEMA, bootResultFile, readBootResults, saveBootResult, saveMinMem, type BootResult, type MinMemRecord } from '../../src/boot/results.js';
import { bootJson, renderBootText, type BootOutcome } from '../../src/boot/run.js';
import { openRecordStore, type RecordStore } from '../../src/store/index.js';
import { REPO } from '../helpers/cli.js';
import { expectContract } from '../helpers/json-contract.js';

const KEY = 'ab'.repeat(32);
const console26 = readFileSync(join(REPO, 'test/fixtures/boot/2.6.9-webserver-16M.console'), 'latin1');
const verdict = judgeConsole(console26, { timedOut: false, code: 0 });
const root = { kind: 'disk' as const, sha256: 'cd'.repeat(32), bytes: 81920 };
const image = { name: 'bzImage', sha256: 'ef'.repeat(32), bytes: 412_345 };

const boot: BootResult = {
  schema: BOOT_RESULT_SCHEMA,
  kind: 'boot',
  key: KEY,
  memKiB: 16384,
  limit: 'machine',
  machineKiB: 16384,
  root,
  image,
  qemu: { version: 'QEMU emulator version 7.2.0', argv: ['qemu-system-i386', '-machine', 'pc', '-m', '16M', '-kernel', 'bzImage'] },
  booted: verdict.booted,
  memTotalKiB: verdict.meminfo!.MemTotal!,
  memFreeKiB: verdict.meminfo!.MemFree!,
  toInitMs: 2310,
  totalMs: 3420,
  uptimeAtInit: verdict.uptimeAtInit!,
  banner: verdict.banner!,
  console: lastLines(console26, 60),
  at: '2026-01-05T10:00:00.000Z',
};
const minMem: MinMemRecord = {
  schema: BOOT_RESULT_SCHEMA,
  kind: 'min-mem',
  key: KEY,
  limit: 'machine',
  root,
  qemu: { version: 'QEMU emulator version 7.2.0' },
  minKiB: 5128,
  failsKiB: 5120,
  stepKiB: 8,
  atMin: { memTotalKiB: 3100, memFreeKiB: 1200 },
  tries: [
    { kib: 16384, booted: true },
    { kib: 5120, booted: false, reason: 'hung: no console output at all before the timeout' },
    { kib: 5128, booted: true },
  ],
  at: '2026-01-05T10:01:00.000Z',
};

let dir: string;
let store: RecordStore;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tiny-boot-json-'));
  store = await openRecordStore(dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('boot results kept with the record', () => {
  it('are snake_case files of schema/boot-result.schema.json, read back as they were', async () => {
    const file = await saveBootResult(store, boot);
    const minFile = await saveMinMem(store, minMem);
    const onDisk = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    expectContract('boot-result', onDisk);
    expect(onDisk).toMatchObject({ schema_version: 4, kind: 'boot', mem_kib: 16384, mem_free_kib: boot.memFreeKiB, to_init_ms: 2310, uptime_at_init_s: boot.uptimeAtInit });
    expectContract('boot-result', JSON.parse(await readFile(minFile, 'utf8')));
    expect(await readBootResults(store, KEY)).toEqual([boot, minMem]);
  });

  it('a boot that served HTTP is kept beside the plain boot (-http), with the web server test', async () => {
    const served: BootResult = {
      ...boot,
      http: {
        served: true,
        nic: { device: 'ne2k_pci', kconfig: 'NE2K_PCI' },
        guestAddress: '10.0.2.15',
        requests: 4,
        roundTripsMs: [41, 12, 11],
        pageBytes: 1210,
        memTotalKiB: 14116,
        memFreeKiB: 12980,
      },
    };
    const file = await saveBootResult(store, served);
    expect(file).toBe(bootResultFile(store, KEY, root.sha256, 16384, 'machine', true));
    expect(file.endsWith('-16384k-http.json')).toBe(true);
    const onDisk = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    expectContract('boot-result', onDisk);
    expect(onDisk.http).toEqual({
      served: true,
      nic: { device: 'ne2k_pci', kconfig: 'NE2K_PCI' },
      guest_address: '10.0.2.15',
      requests: 4,
      round_trips_ms: [41, 12, 11],
      page_bytes: 1210,
      mem_total_kib: 14116,
      mem_free_kib: 12980,
    });
    const kept = await readBootResults(store, KEY);
    expect(kept).toContainEqual(served);
    expect(kept).toContainEqual(boot);
  });

  it('a version 3 file (before the web server test) still reads', async () => {
    const file = await saveBootResult(store, { ...boot, memKiB: 4096 });
    const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...json, schema_version: 3 }));
    const kept = await readBootResults(store, KEY);
    expect(kept.find((k) => k.kind === 'boot' && k.memKiB === 4096)).toEqual({ ...boot, memKiB: 4096 });
  });

  it('a file written before schema_version 3 (camelCase, schema: 2) still reads', async () => {
    const old = { ...boot, schema: 2, memKiB: 8192, machineKiB: 8192 };
    await writeFile(bootResultFile(store, KEY, root.sha256, 8192), JSON.stringify(old));
    const kept = await readBootResults(store, KEY);
    expect(kept.find((k) => k.kind === 'boot' && k.memKiB === 8192)).toEqual({ ...old, schema: BOOT_RESULT_SCHEMA });
  });
});

describe('tiny boot --format json', () => {
  const outcome: BootOutcome = {
    config: 'webserver',
    toggle: 'queue',
    baseVersion: '2.6.9',
    key: KEY,
    image,
    root,
    init: { sha256: '12'.repeat(32), bytes: 1744, compiler: 'gcc (Debian 12.2.0-14) 12.2.0' },
    first: boot,
    minMem,
  };

  it('a boot with the minimum-memory search', () => {
    const doc = bootJson(outcome);
    expectContract('output/boot', doc);
    expect(doc).toMatchObject({
      schema_version: 2,
      base_version: '2.6.9',
      boot: { booted: true, mem_total_kib: boot.memTotalKiB },
      min_mem: { min_kib: 5128, fails_kib: 5120, step_kib: 8, at_min: { mem_free_kib: 1200 } },
    });
    expect((doc.boot as Record<string, unknown>).console).toBeUndefined(); // a good boot's console stays in the record
  });

  it('a failed boot, without a search: its console, and min_mem null', () => {
    const failed: BootResult = {
      ...boot,
      booted: false,
      failure: 'panic',
      reason: 'Kernel panic - not syncing: VFS: Unable to mount root fs',
      memTotalKiB: undefined,
      memFreeKiB: undefined,
      toInitMs: undefined,
    };
    const { memTotalKiB: _t, memFreeKiB: _f, toInitMs: _i, ...clean } = failed;
    const doc = bootJson({ ...outcome, first: clean, minMem: undefined });
    expectContract('output/boot', doc);
    expect(doc.min_mem).toBeNull();
    expect((doc.boot as Record<string, unknown>).console).toEqual(boot.console);
    expect(renderBootText({ ...outcome, first: clean, minMem: undefined })).toContain('-m 16M: boot FAILED (panic): Kernel panic - not syncing: VFS: Unable to mount root fs');
  });

  it('a kernel that boots but does not serve: the reason, and its console', () => {
    const notServed: BootResult = {
      ...boot,
      http: {
        served: false,
        reason: 'the probe could not serve: http: eth0 address (SIOCSIFADDR): errno 19 (ENODEV): no eth0 (the kernel has no driver for the card, or it did not find it)',
        nic: { device: 'ne2k_pci', kconfig: 'NE2K_PCI' },
        guestAddress: '10.0.2.15',
        requests: 0,
        roundTripsMs: [],
      },
    };
    const doc = bootJson({ ...outcome, first: notServed, minMem: undefined });
    expectContract('output/boot', doc);
    expect(doc.boot).toMatchObject({ booted: true, http: { served: false, requests: 0 } });
    expect((doc.boot as Record<string, unknown>).console).toEqual(boot.console);
    expect(renderBootText({ ...outcome, first: notServed, minMem: undefined })).toContain(
      'HTTP: FAILED over ne2k_pci (NE2K_PCI): the probe could not serve: http: eth0 address (SIOCSIFADDR): errno 19 (ENODEV)',
    );
  });

  it('a search for the smallest memory that serves', () => {
    const served: BootResult = {
      ...boot,
      http: { served: true, nic: { device: 'ne2k_pci', kconfig: 'NE2K_PCI' }, guestAddress: '10.0.2.15', requests: 4, roundTripsMs: [41, 12, 11], pageBytes: 1210, memFreeKiB: 12980 },
    };
    const search: MinMemRecord = { ...minMem, servesHttp: true, atMin: { ...minMem.atMin, httpMemFreeKiB: 1100 } };
    const doc = bootJson({ ...outcome, first: served, minMem: search });
    expectContract('output/boot', doc);
    expect(doc.min_mem).toMatchObject({ serves_http: true, at_min: { mem_free_kib: 1200, http_mem_free_kib: 1100 } });
    const text = renderBootText({ ...outcome, first: served, minMem: search });
    expect(text).toContain('HTTP: 4 GETs answered over ne2k_pci (NE2K_PCI) at 10.0.2.15:80; page 1,210 bytes; round trip 41 ms, 12 ms, 11 ms');
    expect(text).toContain('minimum memory: -m 5128K (5,128 KiB) serves HTTP, -m 5M does not');
    expect(text).toContain('MemFree 1,200 kB (1,100 kB while serving)');
  });
});
