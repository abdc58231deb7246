#!/usr/bin/env bash
# Host set-up for tiny's containerized toolchains on Debian 12 (bookworm): podman (+ runc, the
# runtime that works in nested/limited hosts), mmdebstrap (to bootstrap base images offline,
# when no image registry is reachable) and uidmap; and a containers.conf podman can run with.
# Idempotent: packages already installed are not reinstalled, an existing containers.conf is
# never overwritten (tiny's settings then go to a drop-in, with a warning).
# Run as root (or with sudo available):  sudo bash scripts/setup-containers.sh
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup-containers: run as root (or install sudo)" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive

# podman + runc: the container engine and its OCI runtime. mmdebstrap (+ the Debian keyring):
# bootstrap a debian:bookworm root file system from the package mirror alone. uidmap:
# newuidmap/newgidmap for user namespaces. fuse-overlayfs/slirp4netns: rootless podman.
PACKAGES=(podman runc mmdebstrap uidmap debian-archive-keyring ca-certificates fuse-overlayfs slirp4netns)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then missing+=("$p"); fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-containers: installing ${missing[*]}"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup-containers: packages present (${PACKAGES[*]})"
fi

# The settings podman needs here: bounded ulimits (the default asks for more than a nested
# host allows), runc (crun is absent or fails), cgroupfs (no systemd session to delegate to).
# (TINY_CONTAINERS_ETC only exists to exercise this logic in a scratch directory.)
ETC="${TINY_CONTAINERS_ETC:-/etc/containers}"
CONF="$ETC/containers.conf"
DROPIN_DIR="$ETC/containers.conf.d"
DROPIN="$DROPIN_DIR/50-tiny.conf"
read -r -d '' TINY_CONF <<'CONFEOF' || true
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONFEOF

# True when the file already sets every value tiny needs (whitespace-insensitive).
has_tiny_settings() {
  local f="$1"
  local flat
  flat="$(tr -d ' \t' <"$f")"
  grep -qx 'default_ulimits=\["nofile=1024:1024","nproc=1024:1024"\]' <<<"$flat" &&
    grep -qx 'runtime="runc"' <<<"$flat" &&
    grep -qx 'cgroup_manager="cgroupfs"' <<<"$flat"
}

if [ ! -e "$CONF" ]; then
  $SUDO mkdir -p "$ETC"
  printf '%s\n' "$TINY_CONF" | $SUDO tee "$CONF" >/dev/null
  echo "setup-containers: wrote $CONF"
elif has_tiny_settings "$CONF"; then
  echo "setup-containers: $CONF already has tiny's settings"
elif [ -e "$DROPIN" ] && has_tiny_settings "$DROPIN"; then
  echo "setup-containers: $CONF is your own; tiny's settings are in $DROPIN"
else
  # Don't clobber someone's configuration: a drop-in is read after containers.conf and
  # overrides just these keys. Say so, since it changes podman's defaults for everyone.
  $SUDO mkdir -p "$DROPIN_DIR"
  printf '# Written by tiny scripts/setup-containers.sh (overrides %s)\n%s\n' "$CONF" "$TINY_CONF" | $SUDO tee "$DROPIN" >/dev/null
  echo "setup-containers: warning: $CONF exists with other settings; left it untouched and wrote" >&2
  echo "  $DROPIN (overrides default_ulimits, runtime=runc, cgroup_manager=cgroupfs)." >&2
  echo "  Remove that file if your own settings must win." >&2
fi

# Check podman can actually start: `podman info` reads the configuration and the storage.
if $SUDO podman info >/dev/null 2>&1; then
  echo "setup-containers: podman $($SUDO podman version --format '{{.Client.Version}}' 2>/dev/null || echo '?') is usable"
else
  echo "setup-containers: podman info failed:" >&2
  $SUDO podman info 2>&1 | tail -n 5 >&2
  exit 1
fi
echo "setup-containers: done. Next: npx tiny toolchain build gcc-12-i386"
