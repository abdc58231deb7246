// A damaged record in the store (a metadata.json cut short, a truncated artifact): every
// command that reads it says "record <key> is corrupt: <path>: <why>" with the fix (remove it:
// the next build makes it again) instead of "not in the store", and exits 1; `tiny build` finds
// it damaged, says so and builds it again. After the fix, everything equals a clean run.

import { readFile, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_CONFIG, FAKE_QUEUE, cleanRun, comparable, scratch, sh, tiny, toggles } from './harness.js';

const build = ['build', '--config', FAKE_CONFIG, '--queue', FAKE_QUEUE, '--runtime', 'host'];

describe('a corrupt record', { timeout: 120_000 }, () => {
  const caches: string[] = [];
  let env: { TINY_CACHE: string };
  let key: string;
  let dir: string;
  beforeEach(async () => {
    env = { TINY_CACHE: await scratch('tiny-corrupt-') };
    caches.push(env.TINY_CACHE);
    const r = await tiny([...build, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    key = toggles(r.stdout).find((t) => t.toggle === 'queue')!.key!;
    dir = join(env.TINY_CACHE, 'records', key.slice(0, 2), key);
  });
  afterAll(async () => {
    for (const c of caches) await rm(c, { recursive: true, force: true });
  });

  it('metadata.json cut in half: report says corrupt with the path and the fix (exit 1); the fix, then build, gives a clean run', async () => {
    const meta = join(dir, 'metadata.json');
    await truncate(meta, Math.floor((await readFile(meta)).length / 2));

    const report = await tiny(['report', '--config', 'fake-tiny'], { env });
    expect(report.code).toBe(1);
    expect(report.stdout + report.stderr).toContain(`record ${key.slice(0, 12)} is corrupt: ${meta}: not valid JSON (`);
    expect(report.stdout + report.stderr).toContain(`remove it (rm -r ${dir}): \`tiny build --config fake-tiny\` makes it again`);
    expect(report.stdout + report.stderr).not.toContain('not in the store');

    const rebuild = await tiny(['rebuild', key.slice(0, 12)], { env });
    expect(rebuild.code).toBe(1);
    expect(rebuild.stderr).toContain(`tiny: record ${key.slice(0, 12)} is corrupt: ${meta}: not valid JSON (`);
    expect(rebuild.stderr).toContain(`hint: remove it (rm -r ${dir})`);

    // The fix as the message says it.
    await sh('rm', ['-r', dir]);
    const again = await tiny([...build, '--json'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(comparable(again.stdout)).toEqual(comparable(await cleanRun(build)));
    expect((await tiny(['report', '--config', 'fake-tiny'], { env })).code).toBe(0);
  });

  it('metadata.json cut in half, and build run again as it is: the build says the record is corrupt and makes it again', async () => {
    const meta = join(dir, 'metadata.json');
    await truncate(meta, 100);
    const again = await tiny([...build, '--json'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`tiny: record ${key.slice(0, 12)} of queue is corrupt (${meta}: not valid JSON (100 bytes: truncated?)): building it again`);
    expect(toggles(again.stdout).find((t) => t.toggle === 'queue')!.status).toBe('built');
    expect(comparable(again.stdout)).toEqual(comparable(await cleanRun(build)));
    expect((await tiny(['report', '--config', 'fake-tiny'], { env })).code).toBe(0);
  });

  it('a truncated artifact (the stored symbol table): report says which file is corrupt and how to fix it, exit 1', async () => {
    const symbols = join(dir, 'symbols.json.gz');
    await truncate(symbols, 10);
    const report = await tiny(['report', '--config', 'fake-tiny'], { env });
    expect(report.code).toBe(1);
    expect(report.stderr).toContain(`tiny: record ${key.slice(0, 12)} is corrupt: ${symbols}: not a complete gzip file (`);
    expect(report.stderr).toContain(`hint: remove it (rm -r ${dir}): \`tiny build --config fake-tiny\` makes it again`);
    expect(report.stderr).not.toMatch(/internal error|    at /);

    await sh('rm', ['-r', dir]);
    const again = await tiny([...build, '--json'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(comparable(again.stdout)).toEqual(comparable(await cleanRun(build)));
    expect((await tiny(['report', '--config', 'fake-tiny'], { env })).code).toBe(0);
  });
});
