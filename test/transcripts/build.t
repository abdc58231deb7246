# Two toggles of the fake kernel built on the host (no container): the bare base and the queue.
# The sizes are those of the host's gcc 12 (scripts/setup.sh); the progress on stderr (one line
# per state change when stderr is not a terminal) and ccache's hit count are left out: "2> ...".
$ tiny build --config fake-tiny --runtime host --only base,queue
tiny build fake-tiny: 0.0 (tree 765d780a6641), gcc-12-i386 host:41063c4 on host (not hermetic)

toggle  text  data    bss    dec  vmlinux  bzImage  Δdec queue  Δdec base  status  time
base    4428  2048  16968  23444    15548    14368         -32          0  built #s
queue   4460  2048  16968  23476    15612    14400           0        +32  built #s

2 toggles: 2 built, 0 cached, 0 failed in #s (make -j2)
2> tiny: runtime: host (no container): the builds are not hermetic and are recorded so
2> tiny: 1 patch is not selected by the guards (symbols: compat-gcc12)
2> tiny: configuring 2 toggles of fake-tiny (Kconfig, or the memo) to order the builds...
2> tiny: building 2 toggles of fake-tiny on 0.0 with gcc-12-i386 (host:41063c4) on host, make -j2; logs: $WORK/.cache/logs/fake-tiny
2> ...

# Again: both come from the record store.
$ tiny build --config fake-tiny --runtime host --only base,queue
tiny build fake-tiny: 0.0 (tree 765d780a6641), gcc-12-i386 host:41063c4 on host (not hermetic)

toggle  text  data    bss    dec  vmlinux  bzImage  Δdec queue  Δdec base  status  time
base    4428  2048  16968  23444    15548    14368         -32          0  cached #s
queue   4460  2048  16968  23476    15612    14400           0        +32  cached #s

2 toggles: 0 built, 2 cached, 0 failed in #s (make -j2)
2> tiny: runtime: host (no container): the builds are not hermetic and are recorded so
2> tiny: 1 patch is not selected by the guards (symbols: compat-gcc12)
2> tiny: configuring 2 toggles of fake-tiny (Kconfig, or the memo) to order the builds...
2> tiny: building 2 toggles of fake-tiny on 0.0 with gcc-12-i386 (host:41063c4) on host, make -j2; logs: $WORK/.cache/logs/fake-tiny
2> ...

# The size report of that run.
$ tiny report --config fake-tiny
tiny size report: fake-tiny, run of <time> (2 toggles, 2 built)
All options off: no numbers (all-off not in the run).
No-op cost of the queue (every option at its default vs the bare base): +32 dec, +32 bzImage (text +32, data 0, bss 0).

Sizes per toggle
toggle  status  text  data    bss    dec  bzImage
base    ok      4428  2048  16968  23444    14368
queue   ok      4460  2048  16968  23476    14400

Turning each option off (queue - flip:<patch>): bytes saved; % of base and cumulative in dec
#  patch                        text  data  bss  dec  bzImage  % of base  cumulative  cum. %
   sum of singles                  0     0    0    0        0      0.00%
   all-off (measured)            n/a   n/a  n/a  n/a      n/a        n/a
   interaction (sum - all-off)   n/a   n/a  n/a  n/a      n/a

Each patch at its default (queue - without:<patch>): no-op cost, ideally 0
patch                       text  data  bss  dec  bzImage
whole queue (queue - base)   +32     0    0  +32      +32

Interactions: flips that change the same symbols or .config symbols
no two flips change the same symbol or .config symbol

Per directory (dec)
no per-directory sizes in the records (no built-in objects were measured)

Per patch: top symbol deltas (bloat-o-meter semantics, compiler-suffix renames matched; the 10 largest per comparison) and directories
none: this run built no flip, without: or all-off toggle to compare with the queue point (a `tiny build` without --only builds them)

.config differences
toggles           changes
queue vs base     CONFIG_BANNER: (absent) -> y
all-off vs queue  n/a (all-off not in the run)

Inputs
tree: 765d780a6641609beefab6000df3fcd10a64def6
toolchain: gcc-12-i386 host:41063c42b778148de8b2795a86044831
runtime: host; arch: i386; tiny 0.1.0

patch          sha256
banner-option  cb6fd694639323cecaef54b1e34f16f42883174337676b8dbccb0ca85179ee61
panic-reason   2ae81a8476adc0e30055fbb0bd1cae61225067ee5ff19b0df095b4dbe88c8852

toggle  record                                                            .config sha256
base    f7b3e2b8528cc74039a75feb7b5432756b70c26f88aba6c315bf9e43b985bb8f  a200a0ce1c510ac5e358fb0ef01875be4970a6bcbbdf464768a24dc514ca9b3f
queue   46ca4ded447eb7edce5af426369b1cca3dd278e8601df70931ed9b0bca131182  3d3d96a940cb11fcc63fa77f81d33e7677f0f19e9df48ed178e4a4d70b97596e
