// Cache keys: the sha256 of a canonical JSON of every input that can change a build's bytes.
// Same inputs, same key, whatever the order of object keys; any input changed, a new key.

import { sha256 } from '../util/fs.js';
import { TinyError } from '../util/diagnostics.js';

/**
 * Bump when the meaning of an input changes, or when builds made under the old key may be wrong:
 * every key changes with it. 2: patches with non-UTF-8 bytes were applied decoded (U+FFFD in
 * place of Latin-1 bytes) while keyed by their true bytes, so their records cannot be trusted.
 */
export const KEY_VERSION = 2;

/** Everything a build's output depends on (DESIGN.md, "Reproducibility"). */
export interface BuildInputs {
  /** git tree hash of the pristine base tree. */
  baseTree: string;
  /** sha256 (hex) of each applied patch, in application order. */
  patches: string[];
  /** sha256 (hex) of the final .config. */
  config: string;
  /** The toolchain: its name and the image ID/digest that ran (for the host runtime, an ID of the host compiler). */
  toolchain: { name: string; image: string };
  /** Kernel ARCH. */
  arch: string;
  /** Every make variable on the command line (ARCH, CROSS_COMPILE, CC ...). */
  makeVariables: Record<string, string>;
  /** The pinned build environment (KBUILD_BUILD_TIMESTAMP, SOURCE_DATE_EPOCH, LC_ALL ...). */
  env: Record<string, string>;
  /** make targets, in order. */
  targets: string[];
  /** tiny's version. */
  toolVersion: string;
  /** podman, docker or host. */
  runtime: string;
}

/**
 * Canonical JSON: object keys sorted (by UTF-16 code unit), no whitespace, array order kept,
 * undefined object members dropped. Non-finite numbers and non-plain values are refused.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`canonicalJson: ${value} is not a JSON number`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const proto = typeof value === 'object' ? (Object.getPrototypeOf(value) as unknown) : undefined;
  if (proto === Object.prototype || proto === null) {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  throw new Error(`canonicalJson: cannot encode ${typeof value}`);
}

const HEX64 = /^[0-9a-f]{64}$/;
const GIT_HASH = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

function check(inputs: BuildInputs): void {
  const bad: string[] = [];
  const str = (v: unknown, what: string) => {
    if (typeof v !== 'string' || !v) bad.push(`${what} must be a non-empty string`);
  };
  const map = (v: unknown, what: string) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) bad.push(`${what} must map names to strings`);
  };
  if (typeof inputs.baseTree !== 'string' || !GIT_HASH.test(inputs.baseTree)) bad.push('baseTree must be a git tree hash');
  if (!Array.isArray(inputs.patches) || inputs.patches.some((p) => typeof p !== 'string' || !HEX64.test(p))) bad.push('patches must be sha256 hex strings');
  if (typeof inputs.config !== 'string' || !HEX64.test(inputs.config)) bad.push('config must be the sha256 hex of .config');
  if (typeof inputs.toolchain !== 'object' || inputs.toolchain === null) bad.push('toolchain must be {name, image}');
  else {
    str(inputs.toolchain.name, 'toolchain.name');
    str(inputs.toolchain.image, 'toolchain.image');
  }
  str(inputs.arch, 'arch');
  map(inputs.makeVariables, 'makeVariables');
  map(inputs.env, 'env');
  if (!Array.isArray(inputs.targets) || !inputs.targets.length || inputs.targets.some((t) => typeof t !== 'string' || !t)) bad.push('targets must be a non-empty list of make targets');
  str(inputs.toolVersion, 'toolVersion');
  str(inputs.runtime, 'runtime');
  if (bad.length) throw new TinyError(`invalid build inputs: ${bad.join('; ')}`, 2);
}

/** Only the fields of BuildInputs, so stray extra properties never reach the key. */
export function normalizeInputs(inputs: BuildInputs): BuildInputs {
  check(inputs);
  return {
    baseTree: inputs.baseTree,
    patches: [...inputs.patches],
    config: inputs.config,
    toolchain: { name: inputs.toolchain.name, image: inputs.toolchain.image },
    arch: inputs.arch,
    makeVariables: { ...inputs.makeVariables },
    env: { ...inputs.env },
    targets: [...inputs.targets],
    toolVersion: inputs.toolVersion,
    runtime: inputs.runtime,
  };
}

/** The record key: sha256 (hex) of the canonical JSON of {v: KEY_VERSION, inputs}. */
export function recordKey(inputs: BuildInputs): string {
  return sha256(canonicalJson({ v: KEY_VERSION, inputs: normalizeInputs(inputs) }));
}
