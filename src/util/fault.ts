// One test hook, for the fault-injection suite (test/faults/): with TINY_FAULT_PHASE=<phase>,
// tiny stops itself (SIGSTOP) when it reaches that point, after saying so on stderr, so that a
// test can kill it exactly there. Only phases too short to hit from outside have a point:
//   record-write   inside the record store's save, with the temp record half-written
//   worktree-made  a new worktree checked out, still marked as being made: where another
//                  process's `git worktree add`, half done, must not stop this one
// Without the variable, a fault point does nothing.

export function faultPoint(phase: 'record-write' | 'worktree-made'): void {
  if (process.env.TINY_FAULT_PHASE !== phase) return;
  process.stderr.write(`tiny: fault point ${phase}: stopped (TINY_FAULT_PHASE)\n`);
  process.kill(process.pid, 'SIGSTOP');
}
