// Finding the queue as quilt finds patches/: queue/queue.yaml here or in the nearest directory
// above, stopping at the home directory (when inside it) or at /; --queue and TINY_QUEUE win.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { locateConfigRoot } from '../../src/kbuild/buildconfig.js';
import { locateQueue, searchQueue } from '../../src/queue/locate.js';
import { TinyError } from '../../src/util/diagnostics.js';
import { tiny } from '../helpers/cli.js';

const fake =
  (...files: string[]) =>
  (p: string) =>
    files.includes(p);

describe('searchQueue', () => {
  it('takes the nearest queue/queue.yaml, from the start directory up', () => {
    const exists = fake('/p/queue/queue.yaml', '/p/linux/queue/queue.yaml');
    expect(searchQueue('/p/linux/drivers/net', undefined, exists)).toEqual({ looked: ['/p/linux/drivers/net', '/p/linux/drivers', '/p/linux'], found: '/p/linux/queue' });
    expect(searchQueue('/p/src', undefined, exists).found).toBe('/p/queue');
    // Inside the queue directory itself: its parent holds queue/queue.yaml.
    expect(searchQueue('/p/queue/patches', undefined, exists).found).toBe('/p/queue');
  });

  it('stops at the home directory when it starts inside it, else at /', () => {
    const exists = fake('/home/queue/queue.yaml');
    expect(searchQueue('/home/ann/k', '/home/ann', exists)).toEqual({ looked: ['/home/ann/k', '/home/ann'] });
    expect(searchQueue('/srv/k', '/home/ann', exists)).toEqual({ looked: ['/srv/k', '/srv', '/'] });
    expect(searchQueue('/home/ann2/k', '/home/ann', exists).found).toBe('/home/queue');
  });
});

describe('locateQueue', () => {
  const work = mkdtempSync(join(tmpdir(), 'tiny-locate-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  mkdirSync(join(work, 'proj', 'queue'), { recursive: true });
  writeFileSync(join(work, 'proj', 'queue', 'queue.yaml'), 'name: found-upward\nbase:\n  version: "0.0"\n  sources:\n    - path: ../linux\nseries: []\n');
  mkdirSync(join(work, 'proj', 'linux', 'kernel'), { recursive: true });
  mkdirSync(join(work, 'empty', 'sub'), { recursive: true });

  it('--queue, then TINY_QUEUE, then the search', () => {
    const cwd = join(work, 'proj', 'linux', 'kernel');
    expect(locateQueue('../q', { cwd, env: { TINY_QUEUE: '/elsewhere' } })).toBe(join(work, 'proj', 'linux', 'q'));
    expect(locateQueue(undefined, { cwd, env: { TINY_QUEUE: '/elsewhere' } })).toBe('/elsewhere');
    expect(locateQueue(undefined, { cwd, env: {} })).toBe(join(work, 'proj', 'queue'));
  });

  it('none found: exit 2, where it looked, and how to point at one', () => {
    const cwd = join(work, 'empty', 'sub');
    let e: unknown;
    try {
      locateQueue(undefined, { cwd, env: { HOME: work } });
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(TinyError);
    expect((e as TinyError).exitCode).toBe(2);
    expect((e as TinyError).message).toBe(`no queue found: no queue/queue.yaml in ${cwd} and the 2 directories above it, up to ${work}`);
    expect((e as TinyError).hint).toBe('run tiny inside a project that has queue/queue.yaml, or point at one: --queue DIR or TINY_QUEUE=DIR');
  });

  it('tiny queue list from deep inside a project lists its queue; outside any, says so (exit 2)', async () => {
    const inside = await tiny(['queue', 'list', '--format', 'json'], { cwd: join(work, 'proj', 'linux', 'kernel'), env: { TINY_QUEUE: '' } });
    expect(inside.code, inside.stderr).toBe(0);
    expect(JSON.parse(inside.stdout)).toMatchObject({ queue: 'found-upward', patches: [] });
    const outside = await tiny(['queue', 'list'], { cwd: join(work, 'empty', 'sub'), env: { HOME: work, TINY_QUEUE: '' } });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toBe(
      `tiny: no queue found: no queue/queue.yaml in ${join(work, 'empty', 'sub')} and the 2 directories above it, up to ${work}\n  hint: run tiny inside a project that has queue/queue.yaml, or point at one: --queue DIR or TINY_QUEUE=DIR\n`,
    );
  });

  it('configs/ is found upward too, beside the queue; none found falls back to the configurations tiny ships', () => {
    mkdirSync(join(work, 'proj', 'configs'), { recursive: true });
    expect(locateConfigRoot('/shipped', { cwd: join(work, 'proj', 'linux', 'kernel'), env: { HOME: work } })).toBe(join(work, 'proj'));
    expect(locateConfigRoot('/shipped', { cwd: join(work, 'empty', 'sub'), env: { HOME: work } })).toBe('/shipped');
  });
});
