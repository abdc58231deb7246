import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitDate, localFetchOptions, parseApplyErrors, parseAuthor, pickRef } from '../../src/tree/index.js';
import { commitMessage, memoKey } from '../../src/tree/series.js';

describe('parseApplyErrors', () => {
  it('turns git apply messages into file:line / file: reason', () => {
    const stderr = [
      'error: patch failed: init/main.c:123',
      'error: init/main.c: patch does not apply',
      'error: fs/nope.c: does not exist in index',
      'error: kernel/new.c: already exists in index',
      'error: mm/x.c: patch does not apply',
    ].join('\n');
    expect(parseApplyErrors(stderr)).toEqual(['init/main.c:123', 'fs/nope.c: does not exist in index', 'kernel/new.c: already exists in index', 'mm/x.c: patch does not apply']);
    expect(parseApplyErrors('error: corrupt patch at line 12\n')).toEqual(['corrupt patch at line 12']);
  });
});

describe('commit metadata', () => {
  it('reads dates in the formats patches carry', () => {
    expect(gitDate(undefined)).toBe('0 +0000');
    expect(gitDate('Tue, 19 Oct 2004 10:00:00 -0700')).toBe('1098205200 -0700');
    expect(gitDate('2004-10-19T17:00:00Z')).toBe('1098205200 +0000');
    expect(gitDate('1098205200 +0200')).toBe('1098205200 +0200');
    expect(gitDate('@1098205200')).toBe('1098205200 +0000');
    expect(gitDate('the day after tomorrow')).toBe('0 +0000');
  });
  it('reads authors', () => {
    expect(parseAuthor('Matt Mackall <mpm@selenic.com>')).toEqual({ name: 'Matt Mackall', email: 'mpm@selenic.com' });
    expect(parseAuthor('"Doe, Jane" <jane@example.org>')).toEqual({ name: 'Doe, Jane', email: 'jane@example.org' });
    expect(parseAuthor('jane@example.org')).toEqual({ name: 'jane@example.org', email: 'jane@example.org' });
    expect(parseAuthor('<jane@example.org>')).toEqual({ name: 'jane', email: 'jane@example.org' });
    expect(parseAuthor('Jane')).toEqual({ name: 'Jane', email: 'unknown@localhost' });
    expect(parseAuthor(undefined)).toEqual({ name: 'tiny', email: 'tiny@localhost' });
  });
  it('builds messages from subject and body', () => {
    expect(commitMessage({ name: 'a.patch', text: '', strip: 1, reverse: false })).toBe('a.patch\n');
    expect(commitMessage({ name: 'a', text: '', strip: 1, reverse: false, subject: 'x\n y', body: '\n\nbody\n\n' })).toBe('x y\n\nbody\n');
  });
  it('memo keys change with anything that changes the commit', () => {
    const p = { name: 'a', text: 'diff', strip: 1, reverse: false };
    const k = memoKey('c'.repeat(40), p);
    expect(memoKey('c'.repeat(40), { ...p })).toBe(k);
    for (const q of [
      { ...p, text: 'diff2' },
      { ...p, strip: 0 },
      { ...p, reverse: true },
      { ...p, subject: 's' },
      { ...p, date: '1 +0000' },
    ]) {
      expect(memoKey('c'.repeat(40), q)).not.toBe(k);
    }
    expect(memoKey('d'.repeat(40), p)).not.toBe(k);
  });
});

describe('pickRef', () => {
  const ls = ['aaaa\tHEAD', 'bbbb\trefs/heads/main', 'cccc\trefs/tags/v2.6.9', 'dddd\trefs/tags/v2.6.9^{}', 'eeee\trefs/heads/v2.6.9'].join('\n');
  it('prefers tags over branches and peels annotated tags', () => {
    expect(pickRef(ls, 'v2.6.9')).toEqual({ name: 'refs/tags/v2.6.9', commit: 'dddd' });
    expect(pickRef(ls, 'main')).toEqual({ name: 'refs/heads/main', commit: 'bbbb' });
    expect(pickRef(ls, 'refs/heads/v2.6.9')).toEqual({ name: 'refs/heads/v2.6.9', commit: 'eeee' });
    expect(pickRef(ls, 'HEAD')).toEqual({ name: 'HEAD', commit: 'aaaa' });
    expect(pickRef(ls, 'nope')).toBeUndefined();
  });
});

describe('localFetchOptions: a repository on this machine is packed without a delta search', () => {
  it('a directory (a path or a file:// URL) gets upload-pack with pack.window=0; URLs, host:path and missing paths get nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tiny-local-repo-'));
    try {
      const local = ['--upload-pack=git -c pack.window=0 upload-pack'];
      expect(await localFetchOptions(dir)).toEqual(local);
      expect(await localFetchOptions(`file://${dir}`)).toEqual(local);
      expect(await localFetchOptions('https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git')).toEqual([]);
      expect(await localFetchOptions('git@example.org:linux.git')).toEqual([]);
      expect(await localFetchOptions('ssh://example.org/linux.git')).toEqual([]);
      expect(await localFetchOptions(join(dir, 'missing'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
