// What a lane's build directory was last built for, kept in that directory so that the next run
// knows where each lane stands (order.ts: startAtLanes, nearestLane). Written before each build's
// make, so a make that failed or was killed leaves its target there, not the objects' exact
// state: it only steers which build goes to which lane, and make still decides what is out of
// date. A seeded lane's copy of a build directory carries it along. A missing, torn or foreign
// file is an unknown state.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDotConfig } from '../kbuild/kconfig.js';
import { writeFileAtomic } from '../util/fs.js';
import type { LaneState } from './order.js';

const LANE_STATE_FILE = '.tiny-lane-built.json';
const LANE_STATE_VERSION = 1;

interface LaneStateFile {
  v: number;
  /** The sha256 of each patch applied. */
  patches: string[];
  /** The final .config the build was made with. */
  config: string;
}

/** The lane state kept in a build directory, or undefined. */
export function readLaneState(buildDir: string): LaneState | undefined {
  try {
    const f = JSON.parse(readFileSync(join(buildDir, LANE_STATE_FILE), 'utf8')) as Partial<LaneStateFile>;
    if (f.v !== LANE_STATE_VERSION || !Array.isArray(f.patches) || !f.patches.every((p) => typeof p === 'string') || typeof f.config !== 'string') return undefined;
    return { patches: f.patches, config: parseDotConfig(f.config) };
  } catch {
    return undefined;
  }
}

/** Keep what the build directory is about to be built for (patch hashes, final .config text). */
export async function writeLaneState(buildDir: string, patches: readonly string[], config: string): Promise<void> {
  const f: LaneStateFile = { v: LANE_STATE_VERSION, patches: [...patches], config };
  await writeFileAtomic(join(buildDir, LANE_STATE_FILE), JSON.stringify(f) + '\n');
}
