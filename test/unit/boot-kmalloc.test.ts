// The allocation census of `tiny boot --kmalloc` (src/boot/kmalloc.ts): /proc/kmalloc as the
// kmalloc-accounting patch prints it and the probe copies it to the console, read into numbers,
// callers resolved with System.map; kept as boot/kmalloc.json (schema/boot-result.schema.json).

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseKmallocCensus, resolveCallers, textSymbols } from '../../src/boot/kmalloc.js';
import { BOOT_RESULT_SCHEMA, readBootResults, saveKmalloc, type KmallocRecord } from '../../src/boot/results.js';
import { renderCensusText } from '../../src/report/runtime.js';
import { openRecordStore } from '../../src/store/index.js';
import { expectContract } from '../helpers/json-contract.js';

// What mm/kmalloc_acct.c's /proc/kmalloc prints ("%8d %8d %8d %5d/%-5d %p"), between the probe's markers.
const consoleText = [
  'tiny-init: meminfo end',
  'tiny-init: kmalloc begin',
  'total bytes allocated:    61440',
  'slack bytes allocated:     9020',
  'net bytes allocated:      40960',
  'number of allocs:           310',
  'number of frees:             95',
  'number of callers:           42',
  'lost callers:                 0',
  'lost allocs:                  0',
  'unknown frees:                3',
  '',
  '   total    slack      net alloc/free  caller',
  '   32768     7000    32768     8/0     c0125a13',
  '    4096       20        0     4/4     c01e0044',
  '    8192     2000     8000    20/1     c0100010',
  'tiny-init: kmalloc end',
  'tiny-init: restart',
].join('\r\n');

const systemMap = ['c0100000 T _text', 'c0100000 T startup_32', 'c0125a00 T alloc_skb', 'c0125b00 t skb_helper', 'c01e0000 T sock_alloc', 'c0300000 D some_data'].join('\n');

describe('the kmalloc census', () => {
  it('reads the totals and every caller, most net bytes first', () => {
    const c = parseKmallocCensus(consoleText)!;
    expect(c).toMatchObject({ total: 61440, slack: 9020, net: 40960, allocs: 310, frees: 95, callerCount: 42, lostCallers: 0, lostAllocs: 0, unknownFrees: 3 });
    expect(c.callers.map((x) => [x.address, x.net, `${x.allocs}/${x.frees}`])).toEqual([
      ['c0125a13', 32768, '8/0'],
      ['c0100010', 8000, '20/1'],
      ['c01e0044', 0, '4/4'],
    ]);
  });

  it('a census cut before its end marker, or none at all, is not one', () => {
    expect(parseKmallocCensus(consoleText.split('tiny-init: kmalloc end')[0]!)).toBeUndefined();
    expect(parseKmallocCensus('tiny-init: meminfo end\n')).toBeUndefined();
  });

  it('resolves callers to symbol+offset with the text symbols of System.map', () => {
    expect(textSymbols(systemMap).map((s) => s.name)).toEqual(['_text', 'startup_32', 'alloc_skb', 'skb_helper', 'sock_alloc']);
    const c = resolveCallers(parseKmallocCensus(consoleText)!, systemMap);
    expect(c.callers.map((x) => x.caller)).toEqual(['alloc_skb+0x13', 'startup_32+0x10', 'sock_alloc+0x44']);
  });

  it('is shown with the slack % and the top callers by net and by slack', () => {
    const text = renderCensusText('queue', 'mem=2M, after serving HTTP', resolveCallers(parseKmallocCensus(consoleText)!, systemMap), 2).join('\n');
    expect(text).toContain(
      'Allocation census of queue (KMALLOC_ACCOUNTING kernel, mem=2M, after serving HTTP): 61,440 bytes in 310 kmallocs, 95 frees, 40,960 net; slack 9,020 bytes (14.7%); 42 callers',
    );
    expect(text).toContain('not counted: 0 allocs of callers beyond the table, 0 untracked allocs, 3 frees of unknown blocks');
    expect(text).toContain(
      [
        'top 2 by net bytes:',
        '     total    slack      net  alloc/free  caller',
        '     32768     7000    32768         8/0  alloc_skb+0x13',
        '      8192     2000     8000        20/1  startup_32+0x10',
      ].join('\n'),
    );
    expect(text).toContain(['top 2 by slack:', '     total    slack      net  alloc/free  caller', '     32768     7000    32768         8/0  alloc_skb+0x13'].join('\n'));
  });

  it('is kept with the toggle as boot/kmalloc.json and read back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tiny-kmalloc-'));
    try {
      const store = await openRecordStore(dir);
      const census = resolveCallers(parseKmallocCensus(consoleText)!, systemMap);
      const rec: KmallocRecord = {
        schema: BOOT_RESULT_SCHEMA,
        kind: 'kmalloc',
        key: 'ab'.repeat(32),
        variantKey: 'cd'.repeat(32),
        toggle: 'queue',
        memKiB: 2048,
        limit: 'kernel',
        http: true,
        census,
        at: '2026-12-05T01:00:00.000Z',
      };
      const file = await saveKmalloc(store, rec);
      expect(file.endsWith('/boot/kmalloc.json')).toBe(true);
      expectContract('boot-result', JSON.parse(await readFile(file, 'utf8')));
      expect(await readBootResults(store, rec.key)).toEqual([rec]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
