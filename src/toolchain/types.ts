// A toolchain: a compiler in a container image, loaded from toolchains/<name>/toolchain.yaml
// (+ its Containerfile). Plain data; see schema/toolchain.schema.json for each field.

export interface Bootstrap {
  /** Debian suite mmdebstrap bootstraps, e.g. bookworm. */
  suite: string;
  /** Mirror URL (default http://deb.debian.org/debian). */
  mirror?: string;
  /** Extra packages for the base (mmdebstrap --include). */
  include: string[];
}

export interface Toolchain {
  name: string;
  description: string;
  /** e.g. gcc-12 */
  compiler: string;
  /** Kernel ARCH values this toolchain builds. */
  arches: string[];
  /** CROSS_COMPILE per ARCH ("" for a native compiler). */
  crossCompile: Record<string, string>;
  /** Extra make variables (ARCH and CROSS_COMPILE excluded). */
  makeVariables: Record<string, string>;
  /** Debian packages installed in the image. */
  packages: string[];
  /** The Containerfile's FROM default, e.g. debian:bookworm. */
  baseImage: string;
  /** Image platform when not the host's, e.g. linux/386. */
  platform?: string;
  bootstrap?: Bootstrap;
  offlineBuildable: boolean;
  /** Why a registry is needed (offlineBuildable false). */
  reason?: string;
  /** Queue guard symbols this toolchain needs, e.g. compat-gcc12. */
  needsCompat: string[];

  /** Directory holding toolchain.yaml and Containerfile (the image build context). */
  dir: string;
  /** Absolute path of toolchain.yaml. */
  file: string;
  /** Absolute path of the Containerfile. */
  containerfile: string;
  /** sha256 (hex) of toolchain.yaml and Containerfile: the image tag's content address. */
  contentHash: string;
}
