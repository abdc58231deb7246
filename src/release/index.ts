// Releases: reproducible release directories (combined patch, broken-out quilt tarball, size
// report, checksums, signature), their verification, and the changelog between two.

export { assembleRelease, releaseFiles, releaseQueueYaml, renderReadme, utcDate, type ReleaseInput, type ReleasePatch } from './assemble.js';
export { buildChangelog, changelogJson, renderChangelog, type Changelog, type ChangelogEntry, type ReleaseData } from './changelog.js';
export { combinedDiff, DIFF_ARGS } from './combined.js';
export { compress, decompress, compressorVersion, COMPRESSORS, type Compression } from './compress.js';
export { patchContent, type PatchContent } from './content.js';
export { sourceDate, parseEpoch, type SourceDate } from './epoch.js';
export {
  MANIFEST_FILE,
  SUMS_FILE,
  SIGNATURE_FILE,
  RELEASE_SCHEMA,
  manifestDocument,
  readManifestDocument,
  parseSums,
  renderSums,
  type ReleaseManifest,
  type ManifestPatch,
  type ReleaseCheck,
} from './manifest.js';
export { prepareRelease, checkVersion, VERSION_RE, type PrepareReleaseOptions, type PreparedRelease } from './prepare.js';
export { signSums, verifySignature, type SignatureCheck } from './sign.js';
export { createTar, type TarEntry } from '../util/tar.js';
export { checkSums, compareRelease, describeDifference, readTar, type FileComparison } from './verify.js';
export { stagingDir, writeFiles, writeRelease } from './write.js';
