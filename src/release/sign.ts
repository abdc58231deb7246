// A detached, ASCII-armoured gpg signature of SHA256SUMS (SHA256SUMS.asc): signing the sums
// signs every file they list. The key is chosen by the caller (--sign KEY or
// $TINY_RELEASE_KEY); gpg's own GNUPGHOME applies. A signature holds its creation time, so it
// is the one file of a release that is not reproducible: `tiny release verify` checks it with
// gpg instead of comparing bytes.

import { join } from 'node:path';
import { TinyError } from '../util/diagnostics.js';
import { run } from '../util/exec.js';
import { SIGNATURE_FILE, SUMS_FILE } from './manifest.js';

const GPG_ENV = () => ({ ...process.env, LC_ALL: 'C', LANGUAGE: 'C' });

export async function signSums(dir: string, key: string): Promise<void> {
  const r = await run(
    'gpg',
    ['--batch', '--yes', '--no-tty', '--pinentry-mode', 'loopback', '--local-user', key, '--armor', '--detach-sign', '--output', join(dir, SIGNATURE_FILE), join(dir, SUMS_FILE)],
    { env: GPG_ENV(), allowFail: true },
  ).catch((e: Error) => ({ code: 127, stdout: '', stderr: e.message }));
  if (r.code !== 0) {
    throw new TinyError(
      `gpg could not sign ${SUMS_FILE} with key ${key}:\n  ${r.stderr.trim().split('\n').join('\n  ')}`,
      2,
      [],
      'check the key with `gpg --list-secret-keys`, or release unsigned (no --sign, TINY_RELEASE_KEY unset)',
    );
  }
}

export interface SignatureCheck {
  ok: boolean;
  /** gpg's verdict, e.g. `Good signature from "tiny test <t@example.org>"`. */
  message: string;
}

export async function verifySignature(dir: string): Promise<SignatureCheck> {
  const r = await run('gpg', ['--batch', '--no-tty', '--verify', join(dir, SIGNATURE_FILE), join(dir, SUMS_FILE)], { env: GPG_ENV(), allowFail: true }).catch((e: Error) => ({
    code: 127,
    stdout: '',
    stderr: e.message,
  }));
  const lines = r.stderr.split('\n').map((l) => l.replace(/^gpg:\s*/, '').trim());
  const verdict =
    lines.find((l) => /^(Good|BAD) signature/.test(l)) ?? lines.find((l) => /Can't check signature|No public key|command not found/i.test(l)) ?? lines.filter(Boolean).at(-1) ?? 'gpg said nothing';
  return { ok: r.code === 0, message: verdict };
}
