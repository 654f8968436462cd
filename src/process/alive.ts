// Processes kloop keeps track of across runs (journal owners, session locks, published hybrid
// state, hosts-file blocks): whether one is still running.

/** Whether a process with this pid runs on this machine (EPERM: it runs, as another user). */
export function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
