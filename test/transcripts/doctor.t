# A machine with git and nothing else tiny uses: what is missing, and the command that fixes it.
# What this machine has outside PATH is the machine's ("..."): containers.conf in /etc, the
# Debian 6.1 source in /usr/src, the free disk space.
$ PATH=$WORK/bin tiny doctor --no-smoke
warn     podman               podman is not installed
                              fix: sudo bash $TINY/scripts/setup-containers.sh
warn     docker               docker is not installed
                              fix: sudo apt-get install docker.io (or use podman: sudo bash $TINY/scripts/setup-containers.sh)
MISSING  container runtime    no working podman or docker: builds would run on the host, not hermetic (required)
                              fix: sudo bash $TINY/scripts/setup-containers.sh
...
warn     mmdebstrap           not found (bootstraps base images offline (no registry))
                              fix: sudo bash $TINY/scripts/setup-containers.sh
ok       git                  $WORK/bin/git
warn     quilt                not found (quilt import/export and parity tests)
                              fix: sudo apt-get install -y quilt
warn     qemu-system-i386     not found (tiny boot: runs i386 kernels (software emulation))
                              fix: sudo apt-get install -y qemu-system-x86
warn     qemu-system-x86_64   not found (tiny boot: runs x86_64 kernels (software emulation))
                              fix: sudo apt-get install -y qemu-system-x86
warn     kernel tree 2.6      TINY_TREE_2_6 is not set
                              fix: export TINY_TREE_2_6=/path/to/linux-2.6.9 (a tree or a tarball)
...
warn     image gcc-12-arm     no container runtime to hold it
                              fix: sudo bash $TINY/scripts/setup-containers.sh
warn     image gcc-12-i386    no container runtime to hold it
                              fix: sudo bash $TINY/scripts/setup-containers.sh
warn     image gcc-12-x86_64  no container runtime to hold it
                              fix: sudo bash $TINY/scripts/setup-containers.sh
warn     image gcc-3.4-i386   no container runtime to hold it
                              fix: sudo bash $TINY/scripts/setup-containers.sh
warn     image gcc-4.1-i386   no container runtime to hold it
                              fix: sudo bash $TINY/scripts/setup-containers.sh

1 required thing missing
[exit 1]
