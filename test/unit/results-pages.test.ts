// The README's figures and docs/results.md come from the records in results/ (npm run results):
// a figure edited by hand, or a record refreshed without regenerating the pages, fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { expectContract } from '../helpers/json-contract.js';

const resultsDir = join(REPO, 'results');
const records = readdirSync(resultsDir).filter((f) => f.endsWith('.json'));

describe('results pages', () => {
  it('has the records the pages quote', () => {
    expect(records).toEqual(expect.arrayContaining(['report-webserver.json', 'report-webserver-tiny.json', 'boot-webserver.json', 'boot-webserver-tiny.json']));
  });

  it.each(records)('results/%s follows schema/results.schema.json', (file) => {
    const doc = JSON.parse(readFileSync(join(resultsDir, file), 'utf8'));
    expectContract('results', doc);
  });

  it('README.md and docs/results.md are what `npm run results` makes of them', () => {
    const out = execFileSync('node', [join(REPO, 'scripts/results.mjs'), '--check'], { cwd: REPO, encoding: 'utf8' });
    expect(out).toContain('agree with results/');
  });

  it('a figure typed by hand is caught', async () => {
    const { renderReadmeBlocks, spliceBlocks } = await import('../../scripts/results/render.mjs');
    const load = (f: string) => JSON.parse(readFileSync(join(resultsDir, f), 'utf8'));
    const recs = Object.fromEntries(records.map((f) => [f, load(f)]));
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const tiny = recs['report-webserver-tiny.json'];
    const point = tiny.data.toggles.find((t: { toggle: string }) => t.toggle === 'queue');
    const edited = readme.replace(point.sizes.image.toLocaleString('en-US'), '300,000');
    expect(edited).not.toBe(readme);
    expect(spliceBlocks(edited, renderReadmeBlocks(recs), 'README.md')).toBe(readme);
  });

  it("a benchmark's CPU time shows beside its wall time when the record has it", async () => {
    const { renderReadmeBlocks } = await import('../../scripts/results/render.mjs');
    const recs = Object.fromEntries(records.map((f) => [f, JSON.parse(readFileSync(join(resultsDir, f), 'utf8'))]));
    const bench = (legs: object[], extra: object = {}) => ({
      ...recs,
      'bench-matrix.json': {
        schema_version: 1,
        kind: 'bench-matrix',
        commands: ['node bench/matrix.mjs --repeat 3'],
        collected_at: '2026-12-06T00:00:00.000Z',
        data: { legs, ratios: [{ name: 'hand loop / tiny cold', value: 0.9, goal: '>= 1.0' }], ...extra },
      },
    });
    const leg = { name: 'tiny build, cold cache', runs_s: [37.3, 38.1, 37.9], min_s: 37.3, median_s: 37.9 };
    const withCpu = renderReadmeBlocks(
      bench(
        [
          { ...leg, cpu_median_s: 71.72 },
          { ...leg, name: 'tiny build again, all cached' },
        ],
        { cores: 2 },
      ),
    ).speed;
    expect(withCpu).toContain('| leg | runs | min | median | CPU (median, 2 cores) |');
    expect(withCpu).toContain('| tiny build, cold cache | 3 | 37.30 s | 37.90 s | 1m12s |');
    expect(withCpu).toContain('| tiny build again, all cached | 3 | 37.30 s | 37.90 s |  |');
    expect(withCpu).toContain('hand loop / tiny cold: **0.90×** (goal >= 1.0: not met)');
    const without = renderReadmeBlocks({ ...bench([leg]), 'bench-queue-check.json': undefined }).speed;
    expect(without).toContain('| leg | runs | min | median |\n');
    expect(without).not.toContain('CPU');
  });

  it("a benchmark's phases say which run they are of", async () => {
    const { renderReadmeBlocks } = await import('../../scripts/results/render.mjs');
    const recs = Object.fromEntries(records.map((f) => [f, JSON.parse(readFileSync(join(resultsDir, f), 'utf8'))]));
    const queue = (extra: object) => ({
      ...recs,
      'bench-queue-check.json': {
        schema_version: 1,
        kind: 'bench-queue-check',
        commands: ['node bench/queue-check.mjs --repeat 3'],
        collected_at: '2026-12-06T00:00:00.000Z',
        data: { legs: [{ name: 'tiny apply --out (cold)', runs_s: [12], min_s: 12, median_s: 12 }], ratios: [], ...extra },
      },
    });
    const phases = [
      { name: 'the base imported', s: 7.12 },
      { name: 'the checkout, beside the series', s: 3.05 },
    ];
    expect(renderReadmeBlocks(queue({ phases, phases_of: 'the last cold `tiny queue apply --out`' })).speed).toContain(
      "Where the last cold `tiny queue apply --out`'s time went: the base imported 7.12 s; the checkout, beside the series 3.05 s.",
    );
    expect(renderReadmeBlocks(queue({ phases })).speed).toContain("Where the last cold run's time went: the base imported 7.12 s;");
  });
});
