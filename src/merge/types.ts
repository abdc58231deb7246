// Results of the mergeability checks, as plain data for the renderers and --format json.

import type { ApplyOutcome } from '../patch/types.js';

export type ModeOutcome = ApplyOutcome | { kind: 'skipped'; reason: string };

export interface Invasiveness {
  files: number;
  hunks: number;
  added: number;
  removed: number;
  /** The patch adds `config <option>` to a Kconfig file (null: the patch declares no option). */
  declaresOption: boolean | null;
  /** The base declares the option in a Kconfig file the patch edits (upstream took it over). */
  editsUpstreamOption?: boolean;
  /** Changed lines not guarded by the patch's option (#ifdef, IS_ENABLED, obj-$(CONFIG_...)). */
  unguarded: Array<{ file: string; line: number; text: string }>;
}

export interface StyleIssue {
  kind: 'trailing-whitespace' | 'no-signoff' | 'checkpatch' | 'git-binary';
  file?: string;
  line?: number;
  message: string;
}

export interface PatchCheck {
  name: string;
  /** (a) applied in series order, on top of every earlier patch that applied. */
  order: ModeOutcome;
  /** (b) applied alone on the base, with its declared depends. */
  alone: ModeOutcome;
  /** (c) reversed alone off the top of the full stack (could it be dropped from the queue?). */
  reverse: ModeOutcome;
  invasiveness: Invasiveness;
  style: StyleIssue[];
}

export interface PairCheck {
  a: string;
  b: string;
  files: string[];
  /** Hunks whose line ranges overlap in a shared file. */
  overlappingHunks: number;
  /** Applying b before a fails (the order of the series matters for this pair). */
  swapConflict: boolean;
  detail?: string;
}

export interface BaseCheck {
  version: string;
  tree: string;
  patches: PatchCheck[];
  pairs: PairCheck[];
  /** Patches not meant for this base (their `bases` list excludes it). */
  notForBase: string[];
  ok: boolean;
}
