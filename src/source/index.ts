// Kernel source providers: local directory, tarball (path or URL + sha256), git repo + ref,
// Debian's linux-source-X.Y package. Resolution makes a source local; the tree store imports it.

export type { ResolvedSource, ResolveOptions, Compression } from './types.js';
export { resolveSource, sourceFromCli, describeSource } from './resolve.js';
export { detectKernelVersion } from './version.js';
export { downloadVerified, downloadPath, downloadName } from './download.js';
export { detectCompression, decompressCommand, isTarballName, compressionFromName, compressionFromMagic } from './compression.js';
