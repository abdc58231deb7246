// The host prerequisites of a test, proved by use: a program must run (resolve on PATH and be
// executable), a capability must pass its probe (compile and link a program, start podman).
// test/prerequisites.yaml names each one's Debian package, so a test that cannot run says
// which package to install; in CI, where scripts/setup.sh has installed everything, a missing
// prerequisite fails the test instead of skipping it (a skip there hides a missing set-up step).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { run } from '../../src/util/exec.js';
import { REPO } from './cli.js';

export interface Prerequisites {
  programs: Record<string, string>;
  capabilities: Record<string, { package: string; what: string; probe: string }>;
}

export const PREREQUISITES = parse(readFileSync(join(REPO, 'test/prerequisites.yaml'), 'utf8')) as Prerequisites;

const checked = new Map<string, Promise<string | undefined>>();

async function check(name: string): Promise<string | undefined> {
  const cap = PREREQUISITES.capabilities[name];
  if (cap) {
    const r = await run('sh', ['-c', cap.probe], { allowFail: true });
    return r.code === 0 ? undefined : `${name}: ${cap.what} failed (${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}); fix: apt-get install -y ${cap.package}`;
  }
  const pkg = PREREQUISITES.programs[name];
  if (!pkg) throw new Error(`${name} is not in test/prerequisites.yaml: add it with its Debian package (and install that in scripts/setup.sh)`);
  const r = await run('sh', ['-c', `command -v -- '${name}' >/dev/null`], { allowFail: true });
  return r.code === 0 ? undefined : `${name} is not installed; fix: apt-get install -y ${pkg}`;
}

/**
 * Why these prerequisites are not met (one line per missing one), or undefined when all are.
 * In CI a missing one throws: scripts/setup.sh must have installed it.
 */
export async function missingPrerequisites(...names: string[]): Promise<string | undefined> {
  const why = (
    await Promise.all(
      names.map((n) => {
        if (!checked.has(n)) checked.set(n, check(n));
        return checked.get(n)!;
      }),
    )
  ).filter((w): w is string => w !== undefined);
  if (!why.length) return undefined;
  const text = why.join('; ');
  if (process.env.CI) throw new Error(`prerequisite missing in CI (scripts/setup.sh should have installed it): ${text}`);
  return text;
}
