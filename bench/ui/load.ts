// Input latency of the dashboard under load: 20 targets whose state keeps changing and 100,000 log
// lines streamed while typing into the log filter, in Debian's headless chromium. Prints the Event
// Timing durations (key press to next paint) of three runs and fails when even the best run has an
// interaction of 100 ms or more (the bound). Run by hand: node bench/ui/load.ts
import { loadavg } from 'node:os';
import { runLoadScenario } from '../../test/integration/ui/load-scenario.ts';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : 0;
};

const worst: number[] = [];
for (let run = 1; run <= 3; run++) {
  const f = await runLoadScenario();
  worst.push(f.worstInteraction);
  // Event Timing only records events of 16 ms or more; faster ones count as under 16 ms
  console.log(
    `run ${run}: ${f.keyLatencies.length} key events ≥16 ms; p50 ${pct(f.keyLatencies, 50)} ms, p95 ${pct(f.keyLatencies, 95)} ms, worst interaction ${f.worstInteraction} ms; ${f.domRows} DOM rows; ${f.countText}`,
  );
}
const best = Math.min(...worst);
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (other work on the machine inflates these)`,
);
console.log(`best run's worst input latency: ${best} ms (bound 100 ms)`);
process.exitCode = best < 100 ? 0 : 1;
