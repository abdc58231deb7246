// xz and bzip2 with fixed options, through the system's programs. Neither format stores a file
// name or a timestamp when fed on stdin; what could still vary is the encoder's choices:
//   xz     --threads=1: xz 5.6 compresses multi-threaded by default, which splits the stream
//          into blocks whose layout depends on the thread count. Preset -6 and CRC64 are the
//          defaults, spelled out so that a changed default cannot change the bytes.
//   bzip2  -9 (900k blocks), its default, spelled out for the same reason.
// The output of one version of xz or bzip2 is a function of its input and these options (the
// release tests compress twice and compare); `tiny release verify` says whether a compressed
// file that differs still holds the same content (another xz version) or not.

import { run } from '../util/exec.js';

export const COMPRESSORS = {
  xz: { cmd: 'xz', compress: ['--format=xz', '--check=crc64', '-6', '--threads=1', '--stdout', '--quiet'], decompress: ['--decompress', '--stdout', '--quiet'] },
  bz2: { cmd: 'bzip2', compress: ['-9', '--stdout', '--quiet'], decompress: ['--decompress', '--stdout', '--quiet'] },
} as const;

export type Compression = keyof typeof COMPRESSORS;

const ENV = { ...process.env, LC_ALL: 'C', XZ_DEFAULTS: '', XZ_OPT: '', BZIP: '', BZIP2: '' };

export async function compress(data: Buffer, kind: Compression): Promise<Buffer> {
  const c = COMPRESSORS[kind];
  const r = await run(c.cmd, c.compress, { input: data, binary: true, env: ENV });
  return r.stdoutBuffer!;
}

export async function decompress(data: Buffer, kind: Compression): Promise<Buffer | undefined> {
  const c = COMPRESSORS[kind];
  const r = await run(c.cmd, c.decompress, { input: data, binary: true, env: ENV, allowFail: true });
  return r.code === 0 ? r.stdoutBuffer! : undefined;
}

/** "xz (XZ Utils) 5.4.1", "bzip2 1.0.8": for messages. */
export async function compressorVersion(kind: Compression): Promise<string> {
  const c = COMPRESSORS[kind];
  const r = await run(c.cmd, ['--version'], { allowFail: true, env: ENV }).catch(() => undefined);
  const text = `${r?.stdout ?? ''}${r?.stderr ?? ''}`;
  const line = text.split('\n').find((l) => /\d+\.\d+/.test(l)) ?? c.cmd;
  const v = /(\d+\.\d+(\.\d+)?)/.exec(line)?.[1];
  return v ? `${c.cmd} ${v}` : c.cmd;
}

export function compressionOf(file: string): Compression | undefined {
  if (file.endsWith('.xz')) return 'xz';
  if (file.endsWith('.bz2')) return 'bz2';
  return undefined;
}
