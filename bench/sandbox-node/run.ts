// bench/sandbox-node: how long the sandbox's kubelet takes to bring N pods to Ready (created in
// the store at once), against the bare Docker cost of creating and starting the same number of
// containers through the Engine API in the same run. Run by hand:
//   node bench/sandbox-node/run.ts [--pods 10] [--runs 3]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createDockerClient } from '../../sandbox/node/docker/client.ts';
import { createEngine } from '../../sandbox/node/docker/engine.ts';
import { cleanupInstance, createDockerNode } from '../../sandbox/node/index.ts';
import { PODS, type Pod } from '../../sandbox/node/types.ts';
import { createAdmission } from '../../sandbox/server/admission.ts';
import { bootstrap } from '../../sandbox/server/bootstrap.ts';
import { Registry } from '../../sandbox/server/resources.ts';
import { MemoryStore } from '../../sandbox/store/store.ts';

const { values } = parseArgs({
  options: { pods: { type: 'string', default: '10' }, runs: { type: 'string', default: '3' } },
});
const count = Number(values.pods);
const runs = Number(values.runs);
const label = { key: 'kloop.sandbox/bench', value: `b${randomBytes(4).toString('hex')}` };
const engine = createEngine(createDockerClient());

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function dockerBaseline(): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const id = await engine.createContainer(`kloop-bench-${label.value}-${i}-${Date.now()}`, {
        Image: 'busybox:1.36',
        Cmd: ['sleep', '3600'],
        Labels: { [label.key]: label.value },
        HostConfig: {},
      });
      await engine.startContainer(id);
    }),
  );
  const ms = performance.now() - t0;
  await cleanupInstance(label, engine);
  return ms;
}

async function sandboxPods(): Promise<{ ms: number; startMs: number }> {
  const store = new MemoryStore(new Registry());
  const node = createDockerNode({
    store,
    networkName: `kloop-sandbox-${label.value}`,
    instanceLabel: label,
    log: () => {},
  });
  store.admission = createAdmission(store, () => node);
  try {
    const s0 = performance.now();
    await node.start();
    const startMs = performance.now() - s0;
    bootstrap(store, 443);
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      store.create(PODS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `p${i}`, namespace: 'default' },
        spec: { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
      });
    }
    const ready = () =>
      (store.list(PODS, 'default') as Pod[]).filter((p) =>
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length;
    while (ready() < count) await new Promise((r) => setTimeout(r, 10));
    return { ms: performance.now() - t0, startMs };
  } finally {
    await node.stop();
    await cleanupInstance(label, engine);
  }
}

const baseline: number[] = [];
const pods: number[] = [];
const starts: number[] = [];
for (let r = 0; r < runs; r++) {
  baseline.push(await dockerBaseline());
  const result = await sandboxPods();
  pods.push(result.ms);
  starts.push(result.startMs);
}
console.log(
  `${count} pods to Ready through the sandbox kubelet: median ${median(pods).toFixed(0)} ms (runs: ${pods.map((x) => x.toFixed(0)).join(', ')})`,
);
console.log(`${count} bare containers created+started via the Engine API: median ${median(baseline).toFixed(0)} ms`);
console.log(`ratio: ${(median(pods) / median(baseline)).toFixed(2)}x (a pod is two containers: sandbox + app)`);
console.log(`node.start() (network + checks): median ${median(starts).toFixed(0)} ms`);
