import { describe, expect, it } from 'vitest';
import { detectKernelVersion, sourceFromCli, compressionFromMagic, compressionFromName, isTarballName } from '../../src/source/index.js';

describe('detectKernelVersion', () => {
  it('reads 2.6.9 from a 2.6-era Makefile', () => {
    expect(detectKernelVersion('VERSION = 2\nPATCHLEVEL = 6\nSUBLEVEL = 9\nEXTRAVERSION =\nNAME=Zonked Quokka\n')).toBe('2.6.9');
  });
  it('appends EXTRAVERSION (stable .N and -rcN)', () => {
    expect(detectKernelVersion('VERSION = 2\nPATCHLEVEL = 6\nSUBLEVEL = 11\nEXTRAVERSION = .12\n')).toBe('2.6.11.12');
    expect(detectKernelVersion('VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\nEXTRAVERSION = -rc1\n')).toBe('6.1.0-rc1');
  });
  it('uses the first definition and ignores comments and later assignments', () => {
    const mk = '# SPDX\nVERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 176 # stable\nEXTRAVERSION =\nVERSION = 9\n';
    expect(detectKernelVersion(mk)).toBe('6.1.176');
  });
  it('leaves out a computed EXTRAVERSION', () => {
    expect(detectKernelVersion('VERSION = 3\nPATCHLEVEL = 2\nSUBLEVEL = 1\nEXTRAVERSION = $(LOCAL)\n')).toBe('3.2.1');
  });
  it('refuses a Makefile with no VERSION', () => {
    expect(() => detectKernelVersion('all:\n\techo hi\n')).toThrow(/not a kernel top-level Makefile/);
  });
});

describe('sourceFromCli', () => {
  it('treats tarball names as tarballs and anything else as a directory, made absolute', () => {
    expect(sourceFromCli('/x/linux-2.6.9.tar.bz2')).toEqual({ kind: 'tarball', path: '/x/linux-2.6.9.tar.bz2' });
    expect(sourceFromCli('/x/linux.tgz')).toEqual({ kind: 'tarball', path: '/x/linux.tgz' });
    expect(sourceFromCli('/x/linux-2.6.9')).toEqual({ kind: 'dir', path: '/x/linux-2.6.9' });
    const rel = sourceFromCli('linux.tar.xz');
    expect(rel.kind).toBe('tarball');
    expect((rel as { path: string }).path.startsWith('/')).toBe(true);
  });
});

describe('tarball formats', () => {
  it('knows them by name', () => {
    expect(isTarballName('a.tar')).toBe(true);
    expect(isTarballName('a.tar.gz.sig')).toBe(false);
    expect(compressionFromName('a.tar.bz2')).toBe('bzip2');
    expect(compressionFromName('a.tgz')).toBe('gzip');
    expect(compressionFromName('a.tar.xz')).toBe('xz');
    expect(compressionFromName('a.tar')).toBe('none');
  });
  it('knows them by magic bytes', () => {
    expect(compressionFromMagic(Buffer.from([0x1f, 0x8b, 8]))).toBe('gzip');
    expect(compressionFromMagic(Buffer.from('BZh91AY'))).toBe('bzip2');
    expect(compressionFromMagic(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0]))).toBe('xz');
    const tar = Buffer.alloc(512);
    tar.write('ustar', 257, 'latin1');
    expect(compressionFromMagic(tar)).toBe('none');
    expect(compressionFromMagic(Buffer.from('hello'))).toBeUndefined();
  });
});
