// The kernel version a tree claims, from its top-level Makefile.

/**
 * VERSION.PATCHLEVEL.SUBLEVEL + EXTRAVERSION, as `make kernelversion` prints it
 * ("2.6.9", "2.6.11.12" via EXTRAVERSION = .12, "6.1.0-rc1"). Throws when the text has no
 * VERSION line (not a kernel Makefile).
 */
export function detectKernelVersion(makefileText: string): string {
  const vars = new Map<string, string>();
  for (const line of makefileText.split('\n').slice(0, 200)) {
    const m = /^(VERSION|PATCHLEVEL|SUBLEVEL|EXTRAVERSION)\s*[:?]?=[ \t]*(.*?)\s*(#.*)?$/.exec(line);
    if (m && !vars.has(m[1]!)) vars.set(m[1]!, m[2]!);
  }
  const version = vars.get('VERSION');
  if (!version || !/^\d+$/.test(version)) {
    throw new Error('no "VERSION = N" line: not a kernel top-level Makefile');
  }
  let out = version;
  const patchlevel = vars.get('PATCHLEVEL');
  if (patchlevel) {
    out += `.${patchlevel}`;
    const sublevel = vars.get('SUBLEVEL');
    if (sublevel) out += `.${sublevel}`;
  }
  const extra = vars.get('EXTRAVERSION') ?? '';
  // A computed EXTRAVERSION ("$(foo)") cannot be known without make: leave it out.
  if (!extra.includes('$')) out += extra.replace(/\s+/g, '');
  return out;
}
