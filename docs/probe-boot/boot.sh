#!/bin/sh
# Boot a 2.6.9 webserver bzImage under qemu (the recipe of docs/compat.md) with probe.c as
# /sbin/init on a small ext2 disk. Usage: boot.sh BZIMAGE [MEM]. Needs i686-linux-gnu-gcc,
# mke2fs (e2fsprogs >= 1.43 for -d), qemu-system-i386; run as root (mknod). root=0300 (hda by
# number): without SYSFS (webserver-tiny) 2.6.9 cannot resolve the name /dev/hda. rw: the probe
# creates a file (the disk is a temporary copy).
set -e
img=$1; mem=${2:-16}
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
here=$(dirname "$0")
i686-linux-gnu-gcc -Os -static -nostdlib -no-pie -ffreestanding -fno-tree-loop-distribute-patterns \
  -fno-stack-protector -fno-pic -o "$dir/init" "$here/probe.c"
mkdir -p "$dir/rootfs/sbin" "$dir/rootfs/dev"
cp "$dir/init" "$dir/rootfs/sbin/init"
mknod "$dir/rootfs/dev/console" c 5 1
mke2fs -q -t ext2 -I 128 -d "$dir/rootfs" "$dir/root.img" 1M 2>/dev/null
timeout 120 qemu-system-i386 -kernel "$img" -append "console=ttyS0 root=0300 rw panic=1" \
  -drive file="$dir/root.img",format=raw,if=ide,index=0 -nic user,model=ne2k_pci \
  -nographic -m "$mem" -no-reboot
