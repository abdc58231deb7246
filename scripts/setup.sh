#!/usr/bin/env bash
# One-time host set-up for tiny and its tests on Debian 12 (bookworm): system packages, and
# Debian's real kernel source package (6.1 orig tarball + its 165-patch quilt series), which
# the end-to-end tests and the demo use. Idempotent; run as root (or with sudo available).
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

# Packages the tool and its tests call: git (tree store), quilt + patch (interop, parity
# tests), compressors for kernel tarballs, perl (checkpatch.pl), dpkg-dev (apt-get source).
# gcc, make, bc, bison, flex, binutils for i686: host-side kconfig, the fake kernel used by the
# tests, measuring i386 vmlinux files; python3 runs the kernel's own bloat-o-meter in tests.
# chromium: the HTML report is checked in headless Chromium (playwright-core drives it).
# qemu-system-x86: `tiny boot` and its tests run i386 kernels under qemu-system-i386 (TCG).
# gnupg: tiny release signs SHA256SUMS (tested with a throwaway key).
# e2fsprogs: e2fsck and debugfs check the ext2 root disk `tiny boot --root disk` writes.
# libc6-dev-i386-cross: the i686 cross compiler's C library headers (--no-install-recommends
# drops them; the diff tests compile and link small i386 programs).
# redis-server: ccache's remote storage in the sharded-build tests (bound to 127.0.0.1).
# mount: the fault-injection tests fill a small tmpfs (a full disk).
# ccache: the host runtime wraps the compiler in it when it is there; the sharded-build tests
# share the fake kernel's objects between shards through its remote storage (ccache >= 4.4).
# Every program the tests run is listed in test/prerequisites.yaml with its package, and
# test/unit/prerequisites.test.ts checks each package is installed here, explicitly.
PACKAGES=(git quilt patch xz-utils bzip2 gzip perl dpkg-dev ca-certificates
  gcc binutils make bc bison flex cpio python3 binutils-i686-linux-gnu gcc-i686-linux-gnu
  libc6-dev-i386-cross chromium qemu-system-x86 gnupg gpg e2fsprogs mount redis-server redis-tools ccache
  zsh fish)

# deb-src lines are needed for `apt-get source linux`.
if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  $SUDO tee /etc/apt/sources.list.d/tiny-deb-src.sources >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"

# Containerized toolchains: podman, runc, mmdebstrap and a containers.conf that works here.
bash "$(dirname "$0")/setup-containers.sh"

# Debian's kernel source: orig tarball + debian/patches, kept in the cache, outside the repo.
SRC_DIR="${TINY_DEBIAN_SRC:-${XDG_CACHE_HOME:-$HOME/.cache}/tiny-src}"
mkdir -p "$SRC_DIR"
if ! ls "$SRC_DIR"/linux_6.1.*.orig.tar.xz >/dev/null 2>&1 || [ ! -f "$SRC_DIR/debian/patches/series" ]; then
  (cd "$SRC_DIR" && apt-get source --download-only linux 2>&1 | tail -n 2)
  # Only debian/ is needed next to the orig tarball: unpack the debian tarball alone.
  rm -rf "$SRC_DIR/debian"
  tar -xf "$(ls "$SRC_DIR"/linux_6.1.*.debian.tar.xz | head -n 1)" -C "$SRC_DIR"
fi
echo "Debian kernel source: $SRC_DIR ($(grep -cv '^\s*\(#\|$\)' "$SRC_DIR/debian/patches/series") patches)"
