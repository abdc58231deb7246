// Shards: the toggles of a plan split into N balanced shares (largest first, toggles sharing a
// build directory together unless that unbalances), the shard a CI job is (--shard I/N,
// GitLab's CI_NODE_INDEX from 1, Kubernetes' JOB_COMPLETION_INDEX from 0), and the plan
// document `tiny plan --format json` prints (schema/output/plan.schema.json).

import { describe, expect, it } from 'vitest';
import type { QueuePatch } from '../../src/queue/types.js';
import { planMatrix, type Toggle } from '../../src/matrix/plan.js';
import { makePlanDocument, planShardToggles, PLAN_SCHEMA_PATH, renderPlanText, type PlanFacts } from '../../src/matrix/planfile.js';
import { balanceShards, parseShardArg, shardFromEnv, type ShardItem } from '../../src/matrix/shard.js';
import { schemaValidator } from '../../src/util/yaml-schema.js';

function patch(name: string, option?: string): QueuePatch {
  return {
    name,
    file: `patches/${name}.patch`,
    path: `/q/patches/${name}.patch`,
    ...(option ? { option } : {}),
    guards: [],
    depends: [],
    bases: [],
    strip: 1,
    reverse: false,
    text: name,
    sha256: name.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a'),
    parsed: { header: {}, files: [] } as unknown as QueuePatch['parsed'],
    line: 1,
  };
}

// A queue of three option patches and a code patch: queue, 3 flips, all-off (one selection),
// 4 withouts and base (a selection each): 10 toggles.
const plan = planMatrix({ queue: { series: [patch('printk', 'PRINTK'), patch('bug', 'BUG'), patch('vt', 'VT'), patch('uninline')] }, version: '2.6.9', select: [] });
const items = (weights: Record<string, number>): ShardItem[] => plan.toggles.map((t) => ({ name: t.name, group: t.selection, weight: weights[t.name] ?? 1 }));

describe('balanceShards', () => {
  it('keeps toggles that share a build directory in one shard when they fit a share', () => {
    // The queue group weighs 5 of 10: exactly a share of 2 shards.
    const shards = balanceShards(items({}), 2);
    expect(shards.map((s) => s.toggles)).toEqual([
      ['queue', 'flip:printk', 'flip:bug', 'flip:vt', 'all-off'],
      ['without:printk', 'without:bug', 'without:vt', 'without:uninline', 'base'],
    ]);
    expect(shards.map((s) => s.weight)).toEqual([5, 5]);
  });

  it('cuts a group that alone outweighs a share into consecutive runs, largest pieces placed first', () => {
    // queue is a full build (60 s); flips and withouts are incremental (10 s); base 30 s.
    const w = { queue: 60, 'flip:printk': 10, 'flip:bug': 10, 'flip:vt': 10, 'all-off': 10, base: 30, 'without:printk': 10, 'without:bug': 10, 'without:vt': 10, 'without:uninline': 10 };
    const shards = balanceShards(items(w), 3);
    // total 170, a share 56.7: the queue group (100) is cut into two runs, queue alone (60, no
    // run can hold more) and the flips with all-off (40); then base (30) and the withouts,
    // each on the least loaded shard. The longest shard is the queue point's build: optimal.
    expect(shards.map((s) => s.toggles)).toEqual([['queue'], ['flip:printk', 'flip:bug', 'flip:vt', 'all-off', 'without:bug', 'without:uninline'], ['without:printk', 'without:vt', 'base']]);
    expect(shards.map((s) => s.weight)).toEqual([60, 60, 50]);
    // Every toggle is in exactly one shard.
    expect(shards.flatMap((s) => s.toggles).sort()).toEqual(plan.toggles.map((t) => t.name).sort());
  });

  it('is stable: the same items give the same split; more shards than pieces leave some empty', () => {
    expect(balanceShards(items({}), 3)).toEqual(balanceShards(items({}), 3));
    const many = balanceShards(items({}), 12);
    expect(many.filter((s) => s.toggles.length).length).toBe(10);
    expect(many.slice(10).map((s) => s.toggles)).toEqual([[], []]);
  });

  it('refuses 0 or more than 256 shards (the cap of a GitHub Actions matrix)', () => {
    expect(() => balanceShards(items({}), 0)).toThrow(/--shards must be a whole number from 1 to 256/);
    expect(() => balanceShards(items({}), 257)).toThrow(/from 1 to 256/);
  });
});

describe('which shard a job builds', () => {
  it('--shard I/N counts from 1', () => {
    expect(parseShardArg('2/3')).toEqual({ index: 2, count: 3, source: 'argument' });
    expect(() => parseShardArg('0/3')).toThrow('--shard 0/3: the shard is counted from 1 to 3');
    expect(() => parseShardArg('4/3')).toThrow(/counted from 1 to 3/);
    expect(() => parseShardArg('two')).toThrow(/--shard takes I\/N/);
  });

  it('GitLab: CI_NODE_INDEX 1..CI_NODE_TOTAL is the shard as it is', () => {
    expect(shardFromEnv({ CI_NODE_INDEX: '1', CI_NODE_TOTAL: '3' })).toEqual({ index: 1, count: 3, source: 'CI_NODE_INDEX' });
    expect(shardFromEnv({ CI_NODE_INDEX: '3', CI_NODE_TOTAL: '3' }, 3)).toEqual({ index: 3, count: 3, source: 'CI_NODE_INDEX' });
    expect(() => shardFromEnv({ CI_NODE_INDEX: '0', CI_NODE_TOTAL: '3' })).toThrow('CI_NODE_INDEX=0 is outside 1..3 (CI_NODE_TOTAL)');
    expect(() => shardFromEnv({ CI_NODE_INDEX: '2', CI_NODE_TOTAL: '4' }, 3)).toThrow('--shard auto: CI_NODE_TOTAL is 4 but the plan has 3 shards');
    expect(() => shardFromEnv({ CI_NODE_INDEX: '2' })).toThrow(/CI_NODE_TOTAL is not/);
  });

  it('Kubernetes: JOB_COMPLETION_INDEX 0..N-1 is shard index+1, N from --shards or the plan', () => {
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '0' }, 3)).toEqual({ index: 1, count: 3, source: 'JOB_COMPLETION_INDEX' });
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '2' }, 3)).toEqual({ index: 3, count: 3, source: 'JOB_COMPLETION_INDEX' });
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: '3' }, 3)).toThrow('JOB_COMPLETION_INDEX=3 is outside 0..2 (3 shards)');
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: '0' })).toThrow(/does not say how many shards/);
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: 'x' }, 3)).toThrow("JOB_COMPLETION_INDEX must be a whole number, not 'x'");
  });

  it('neither, or both: an error that says to give --shard I/N', () => {
    expect(() => shardFromEnv({})).toThrow(/neither CI_NODE_INDEX \(GitLab\) nor JOB_COMPLETION_INDEX/);
    expect(() => shardFromEnv({ CI_NODE_INDEX: '1', CI_NODE_TOTAL: '2', JOB_COMPLETION_INDEX: '0' }, 2)).toThrow(/ambiguous/);
  });
});

describe('the plan document', () => {
  const prepared = {
    base: { version: '2.6.9', commit: 'c'.repeat(40), tree: 't'.repeat(40).replace(/t/g, 'a') },
    plan,
    config: {
      name: 'webserver',
      arch: 'i386',
      toolchain: 'gcc-12-i386',
      kconfig: { base: 'allnoconfig' as const, fragment: { NET: 'y' as const }, flips: [] },
      queue: { select: [], baseSelect: [] },
      targets: ['vmlinux' as const, 'bzImage' as const],
      makeVars: {},
    },
    toolchain: { name: 'gcc-12-i386' },
    runtime: { name: 'podman' },
    setup: { image: { id: `sha256:${'e'.repeat(64)}` } },
  } as unknown as Parameters<typeof makePlanDocument>[0];
  const facts = (durations: Record<string, number>): PlanFacts => ({
    keys: { base: 'b'.repeat(64), queue: 'a'.repeat(64) },
    stored: { base: true },
    durations,
  });
  const toggles: Toggle[] = plan.toggles;

  it('lists every toggle with its key (or null: after Kconfig), stored, duration and shard; validates against its schema', () => {
    const doc = makePlanDocument(prepared, toggles, facts({ queue: 60_000, base: 30_000, 'flip:printk': 10_000 }), { shards: 3 });
    const validate = schemaValidator(PLAN_SCHEMA_PATH);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.schema_version).toBe(1);
    expect(doc.balance).toBe('durations');
    expect(doc.toggles[0]).toEqual({ name: 'base', kind: 'base', group: expect.stringMatching(/^[0-9a-f]{12}$/), key: 'b'.repeat(64), stored: true, duration_ms: 30_000, shard: expect.any(Number) });
    expect(doc.toggles.find((t) => t.name === 'flip:bug')).toMatchObject({ key: null, stored: false, duration_ms: null });
    expect(doc.notes).toContain('7 toggles have no recorded build time: counted as the median, 30000 ms');
    expect(doc.matrix).toEqual({ shard: ['1/3', '2/3', '3/3'] });
    expect(doc.critical_path_ms).toBe(Math.max(...doc.shards.map((s) => s.estimated_ms!)));
    // snake_case keys all the way down
    expect(JSON.stringify(doc)).not.toMatch(/"[a-z]+[A-Z][A-Za-z]*":/);
  });

  it('is the same document for the same inputs, and balances by count without durations', () => {
    const a = JSON.stringify(makePlanDocument(prepared, toggles, facts({}), { shards: 2 }));
    expect(JSON.stringify(makePlanDocument(prepared, toggles, facts({}), { shards: 2 }))).toBe(a);
    const doc = JSON.parse(a);
    expect(doc.balance).toBe('count');
    expect(doc.critical_path_ms).toBeNull();
    expect(doc.shards.map((s: { toggles: string[] }) => s.toggles.length)).toEqual([5, 5]);
  });

  it('a toggle with the key of an earlier one (all-off equal to a flip) weighs nothing: it is served from that record', () => {
    const same = {
      keys: { 'flip:vt': 'f'.repeat(64), 'all-off': 'f'.repeat(64) },
      stored: {},
      durations: { queue: 50, 'flip:printk': 10, 'flip:bug': 10, 'flip:vt': 10, 'all-off': 10, base: 10, 'without:printk': 10, 'without:bug': 10, 'without:vt': 10, 'without:uninline': 10 },
    };
    const doc = makePlanDocument(prepared, toggles, same, { shards: 1 });
    expect(doc.shards[0]!.estimated_ms).toBe(130); // 140 recorded, all-off's 10 not counted
  });

  it('a worker takes its shard only from a plan of the same inputs', () => {
    const doc = makePlanDocument(prepared, toggles, facts({}), { shards: 2 });
    expect(planShardToggles(doc, prepared, 2, 'plan.json').map((t) => t.name)).toEqual(doc.shards[1]!.toggles);
    const other = { ...prepared, base: { ...prepared.base, tree: 'f'.repeat(40) } } as typeof prepared;
    expect(() => planShardToggles(doc, other, 1, 'plan.json')).toThrow(/--plan plan.json was made from another base, queue or configuration than this build's/);
    expect(() => planShardToggles(doc, prepared, 3, 'plan.json')).toThrow('--plan plan.json has 2 shards: there is no shard 3');
  });

  it('reads as a table, then the shards and the critical path', () => {
    const text = renderPlanText(makePlanDocument(prepared, toggles, facts({ queue: 60_000, base: 30_000 }), { shards: 2 }));
    expect(text.split('\n')[0]).toBe(`tiny plan webserver: 10 toggles on 2.6.9 (tree ${'a'.repeat(12)}), gcc-12-i386 (${'e'.repeat(12)}) on podman`);
    expect(text).toMatch(/^toggle\s+key\s+stored\s+last build\s+shard$/m);
    expect(text).toMatch(/^base\s+b{12}\s+yes\s+30s\s+\d$/m);
    expect(text).toMatch(/^flip:bug\s+key after Kconfig\s+no\s+-\s+\d$/m);
    expect(text).toContain('1 of 10 stored; 2 shards, balanced by recorded build times:');
    expect(text).toMatch(/^critical path \(the longest shard\): ~\d/m);
  });
});
