// How long `kloop-sandbox up` takes until the API answers, against the baseline of starting
// Node itself. Usage: node bench/sandbox-startup.ts [runs]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const runs = Number(process.argv[2] ?? 5);
const cli = resolve(import.meta.dirname, '../sandbox/cli.ts');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = (fn: () => void) => {
  const t = performance.now();
  fn();
  return performance.now() - t;
};

const nodeBoot: number[] = [];
const up: number[] = [];
const server: number[] = [];
const dockerNode: number[] = [];
for (let i = 0; i < runs; i++) {
  nodeBoot.push(time(() => execFileSync(process.execPath, ['-e', '0'])));
  const dir = mkdtempSync(join(tmpdir(), 'kloop-bench-sandbox-'));
  const kubeconfig = join(dir, 'kubeconfig');
  try {
    up.push(time(() => execFileSync(process.execPath, [cli, 'up', '--kubeconfig', kubeconfig])));
    const info = JSON.parse(readFileSync(`${kubeconfig}.sandbox/server.json`, 'utf8'));
    server.push(info.startupMs);
    dockerNode.push(info.nodeStartMs);
  } finally {
    execFileSync(process.execPath, [cli, 'down', '--kubeconfig', kubeconfig]);
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`runs: ${runs}`);
console.log(`node -e 0 (baseline):          median ${median(nodeBoot).toFixed(0)} ms`);
console.log(
  `kloop-sandbox up (wall):       median ${median(up).toFixed(0)} ms  [${up.map((x) => x.toFixed(0)).join(', ')}]`,
);
console.log(`server process to answering:   median ${median(server)} ms (includes CA/cert generation)`);
console.log(`  of which the Docker node:    median ${median(dockerNode)} ms`);
console.log(`up without Docker:             median ${(median(up) - median(dockerNode)).toFixed(0)} ms`);
