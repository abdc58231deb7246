# A queue.yaml with mistakes: each named by file, line and column, with the fix.
$ tiny queue list --queue broken
2> broken/queue.yaml:8:5: error: unknown key 'sumary'
2>   hint: did you mean 'summary'?
2> broken/queue.yaml:10:5: error: unknown key 'xyzzy'
2>   hint: allowed keys here: name, file, summary, author, option, guards, depends, bases, strip, reverse
2> tiny: invalid queue broken/queue.yaml: 2 errors
[exit 2]

# No queue here or in any directory above: where tiny looked, and how to point at one.
$ cd /
$ tiny queue check
2> tiny: no queue found: no queue/queue.yaml in /
2>   hint: run tiny inside a project that has queue/queue.yaml, or point at one: --queue DIR or TINY_QUEUE=DIR
[exit 2]

# An unknown configuration.
$ cd $WORK
$ tiny build --config no-such-config --runtime host
2> tiny: unknown configuration 'no-such-config'
2>   hint: known configurations: fake-tiny
[exit 2]

# A patch that does not apply: the hunk, the line of the patch, and nothing written.
$ tiny queue apply --queue merge/queue --out merged
2> tiny: patch super-remount does not apply on 2.6.9:
2>   fs/super.c:60
2>   hint: run `tiny queue check` to see every patch's state; earlier patches applied fine
[exit 1]
