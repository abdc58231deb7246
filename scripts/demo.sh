#!/usr/bin/env bash
# The main job on a fresh machine, after scripts/setup.sh and npm ci: import Debian's real
# 6.1 kernel patch series into a queue and check every patch of it against its orig tree;
# then, when a 2.6.9 tree is available (TINY_TREE_2_6), check the linux-tiny queue on it.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC_DIR="${TINY_DEBIAN_SRC:-${XDG_CACHE_HOME:-$HOME/.cache}/tiny-src}"
ORIG=$(ls "$SRC_DIR"/linux_6.1.*.orig.tar.xz | head -n 1)
VERSION=$(basename "$ORIG" | sed -E 's/linux_(6\.1\.[0-9]+)\.orig.*/\1/')
QUEUE="${XDG_CACHE_HOME:-$HOME/.cache}/tiny-demo/debian-$VERSION"
if [ ! -f "$QUEUE/queue.yaml" ]; then
  npx tiny queue import-quilt "$SRC_DIR/debian/patches" --out "$QUEUE" --base-version "$VERSION" --base-source "$ORIG"
fi
status=0
npx tiny queue check --queue "$QUEUE" || status=$?
if [ -n "${TINY_TREE_2_6:-}" ]; then
  npx tiny queue check --tree "$TINY_TREE_2_6" || status=$?
else
  echo "(set TINY_TREE_2_6 to an unmodified Linux 2.6.9 tree to check the linux-tiny queue too)"
fi
exit $status
