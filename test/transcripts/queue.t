# The fake kernel's queue, found from the project directory and from below it.
$ tiny queue list
patch          option  guards   depends  selected  summary
banner-option  BANNER  -        -        yes       init: make the version banner optional (CONFIG_BANNER)
panic-reason   -       -        -        yes       panic: name the reason
broken         -       +broken  -        no        init: break the build

$ cd linux/kernel
$ tiny queue list --select broken
patch          option  guards   depends  selected  summary
banner-option  BANNER  -        -        yes       init: make the version banner optional (CONFIG_BANNER)
panic-reason   -       -        -        yes       panic: name the reason
broken         -       +broken  -        yes       init: break the build

$ cd ../..
$ tiny queue check
queue check on 0.0 (tree 765d780a6641)
0.0: 3 patches: 3 clean, 0 offset, 0 fuzz, 0 fail in order; 1 pair shares files (0 with overlapping hunks, 0 conflict when swapped); 0 with unguarded changes
(not shown: 3 patches without a problem; --verbose shows them)
2> tiny: 0.0: $WORK/linux read without importing it: tree 765d780a6641 hashed in memory (no base.tree pinned to verify it against); the files the queue names kept

# Everything, table and pairs, with --verbose.
$ tiny queue check --verbose
queue check on 0.0 (tree 765d780a6641)
patch          in order  alone      reverse  files  hunks  +lines  -lines  option
banner-option  clean     clean      clean        2      2      10       0  declared
panic-reason   clean     clean      clean        1      1       1       0  -
broken         clean     offset -4  clean        1      1       1       0  -

0.0: 3 patches: 3 clean, 0 offset, 0 fuzz, 0 fail in order; 1 pair shares files (0 with overlapping hunks, 0 conflict when swapped); 0 with unguarded changes
2> tiny: 0.0: $WORK/linux read without importing it: tree 765d780a6641 hashed in memory (no base.tree pinned to verify it against); the files the queue names kept

# A queue with one patch for every outcome: the problems and a summary.
$ tiny queue check --queue merge/queue
queue check on 2.6.9 (tree 07f1ec38570d)
patch                in order  alone   reverse  files  hunks  +lines  -lines  option
super-report-errors  fuzz 1    fuzz 1  fuzz 1       1      1       2       0  -
super-remount        FAILS     FAILS   skipped      1      1       1       0  -
sched-account        clean     clean   clean        1      1       1       0  NOT declared, 1 unguarded
kallsyms-all         clean     clean   FAILS        1      1       1       0  -
kallsyms-extra       clean     FAILS   clean        1      1       1       1  -

super-remount: in order: fs/super.c: hunk #1 FAILED at 60: context not found (patch line 7)
super-remount: alone: fs/super.c: hunk #1 FAILED at 60: context not found (patch line 7)
sched-account: does not add its option to a Kconfig file
sched-account: kernel/sched.c:32: change not guarded by its option: sched_account();
kallsyms-all: reverse: kernel/Makefile: hunk #1 FAILED at 1: context not found (patch line 5)
kallsyms-extra: alone: kernel/Makefile: hunk #1 FAILED at 1: context not found (patch line 5)
no Signed-off-by: line in 5 patches: slab-zero-size, super-report-errors, sched-account, kallsyms-all, kallsyms-extra

2.6.9: 7 patches: 4 clean, 1 offset, 1 fuzz, 1 fail in order; 2 pairs share files (1 with overlapping hunks, 1 conflict when swapped); 1 with unguarded changes
(not shown: 2 patches without a problem, 1 pair with overlapping hunks or an order conflict; --verbose shows them)
2> tiny: 2.6.9: $WORK/merge/tree read without importing it: tree 07f1ec38570d hashed in memory (no base.tree pinned to verify it against); the files the queue names kept
[exit 1]

# The guards pick as guards(1) and `tiny queue list` do: broken (+broken) needs its symbol.
$ tiny queue apply --out applied
$WORK/applied
2> tiny: 1 patch is left out by its guards (broken): --select broken picks it
2> tiny: 2 patches applied on 0.0

# --select: the patches the guards pick for these symbols.
$ tiny queue apply --out applied-broken --select broken
$WORK/applied-broken
2> tiny: 3 patches applied on 0.0
