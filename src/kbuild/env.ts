// The reproducible build environment: what every make of a kernel build sees, and nothing
// else (the container gets exactly this environment; the host runtime too, minus isolation).
//
//   KBUILD_BUILD_TIMESTAMP  the base's date, as `date -u` prints it (C locale): it ends up in
//                           UTS_VERSION / the banner, and 6.x's initramfs cpio mtimes
//   SOURCE_DATE_EPOCH       the same instant in seconds (gen_init_cpio -t, gzip, tools that
//                           follow reproducible-builds.org)
//   KBUILD_BUILD_USER/HOST  tiny / tiny (compile.h, the banner "(tiny@tiny)")
//   KBUILD_BUILD_VERSION    1 (the "#1" of UTS_VERSION; 2.6 counts up without the compat patch)
//   LC_ALL=C, TZ=UTC        messages, sorting and dates independent of the user's locale
//
// The date of a base: BaseSpec.date (queue.yaml `base.date`) when given; else the mainline
// release date of the version (2.6.9.x and 2.6.9 -> 2.6.9; 6.1.176 -> 6.1) from the table
// below; else FALLBACK_DATE. All at 00:00:00 UTC. A constant per base, so two builds of one
// base get the same bytes, and a kernel says roughly when its base was released.
//
// Paths are fixed too: the tree is /tiny/src and the build directory /tiny/build inside the
// container (CONTAINER_PATHS), whatever the host paths; with the compat series' file-prefix-map
// __FILE__ strings are relative to the tree anyway.

import { CONTAINER_PATHS } from '../toolchain/runtime.js';

/** Mainline release dates (UTC day) of the versions tiny is used with. */
export const RELEASE_DATES: Readonly<Record<string, string>> = {
  '2.6.8': '2004-08-14',
  '2.6.9': '2004-10-18',
  '2.6.10': '2004-12-24',
  '2.6.11': '2005-03-02',
  '2.6.12': '2005-06-17',
  '5.10': '2020-12-13',
  '5.15': '2021-10-31',
  '6.1': '2022-12-11',
  '6.6': '2023-10-30',
};

/** Used when neither the queue nor the table knows the base's date. */
export const FALLBACK_DATE = '2000-01-01';

export interface BuildDate {
  /** ISO 8601, UTC. */
  iso: string;
  /** Seconds since the epoch. */
  epoch: number;
  /** Where it came from: 'queue' (base.date), 'release' (the table), 'fallback'. */
  source: 'queue' | 'release' | 'fallback';
}

/** The mainline version a version is based on: 2.6.9.1 -> 2.6.9, 6.1.176 -> 6.1, 6.1-rc3 -> 6.1. */
export function mainlineVersion(version: string): string {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  if (!m) return version;
  const [, a, b, c] = m;
  if (Number(a) < 3) return c !== undefined ? `${a}.${b}.${c}` : `${a}.${b}`;
  return `${a}.${b}`;
}

function parseDate(text: string): number | undefined {
  const t = text.trim();
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/.test(t) ? t.replace(' ', 'T') : `${t.replace(' ', 'T')}Z`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** The pinned build date of a base. */
export function buildDate(version: string, date?: string): BuildDate {
  if (date !== undefined) {
    const epoch = parseDate(date);
    if (epoch === undefined) throw new Error(`base date '${date}' is not an ISO 8601 date`);
    return { iso: new Date(epoch * 1000).toISOString(), epoch, source: 'queue' };
  }
  const known = RELEASE_DATES[version] ?? RELEASE_DATES[mainlineVersion(version)];
  const epoch = parseDate(known ?? FALLBACK_DATE)!;
  return { iso: new Date(epoch * 1000).toISOString(), epoch, source: known ? 'release' : 'fallback' };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `LC_ALL=C TZ=UTC date -d @epoch` output: "Mon Oct 18 00:00:00 UTC 2004" (GNU date -d reads it back). */
export function dateText(epoch: number): string {
  const d = new Date(epoch * 1000);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const day = String(d.getUTCDate()).padStart(2, ' ');
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${day} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** The pinned environment (recorded in every build record, part of its key). */
export function reproducibleEnv(date: BuildDate): Record<string, string> {
  return {
    KBUILD_BUILD_TIMESTAMP: dateText(date.epoch),
    SOURCE_DATE_EPOCH: String(date.epoch),
    KBUILD_BUILD_USER: 'tiny',
    KBUILD_BUILD_HOST: 'tiny',
    KBUILD_BUILD_VERSION: '1',
    LC_ALL: 'C',
    TZ: 'UTC',
  };
}

/**
 * The whole environment of a build command: the pinned variables, HOME inside the build
 * directory (some host tools want one), and ccache's directory when ccache is used. PATH is
 * the runtime's default.
 */
export function buildEnv(date: BuildDate, opts: { ccache: boolean }): Record<string, string> {
  return {
    ...reproducibleEnv(date),
    HOME: CONTAINER_PATHS.build,
    ...(opts.ccache
      ? {
          CCACHE_DIR: CONTAINER_PATHS.ccache,
          // The tree is always /tiny/src: hits across lanes and runs need no path rewriting;
          // compare compilers by content (an image rebuilt with the same gcc still hits).
          CCACHE_COMPILERCHECK: 'content',
          CCACHE_MAXSIZE: '5G',
        }
      : {}),
  };
}
