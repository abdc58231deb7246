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
});
