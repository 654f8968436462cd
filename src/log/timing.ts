// KLOOP_TIMING=1: each phase of a command on stderr, in milliseconds since the process started
// (performance.now() counts from there), so where a start's time goes can be read without a
// profiler: `KLOOP_TIMING=1 kloop render > /dev/null`.
const on = process.env.KLOOP_TIMING === '1';

export function mark(phase: string): void {
  if (on) process.stderr.write(`timing ${performance.now().toFixed(1).padStart(7)} ms  ${phase}\n`);
}
