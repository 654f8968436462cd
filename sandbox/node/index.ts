// The sandbox's node: a kubelet that runs pods as Docker containers, Service networking on a
// Docker network of its own, and the streams (logs, exec, port connections) the API serves.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Node, NodeDeps } from '../contract.ts';
import { INFRA_IMAGE } from './container-spec.ts';
import { createDockerClient } from './docker/client.ts';
import { createEngine, type Engine } from './docker/engine.ts';
import { createEventRecorder } from './events.ts';
import { createKubelet, type Kubelet } from './kubelet.ts';
import { createServiceIPs, ensureNetwork, type ServiceIPs } from './network.ts';
import { createServiceProxies } from './services.ts';
import { createStreams } from './streams.ts';
import { SERVICES } from './types.ts';

export { NodeApiError } from './errors.ts';

export interface NodeOptions {
  /** CrashLoopBackOff: first delay and cap in ms (default 10s and 5m; env KLOOP_SANDBOX_BACKOFF_MS=initial[,max]). */
  backoff?: { initialMs: number; maxMs: number };
  /** Where volumes and service proxy files live (default: a directory per instance under the OS temp dir). */
  stateDir?: string;
}

export function backoffFromEnv(env: NodeJS.ProcessEnv = process.env): { initialMs: number; maxMs: number } {
  const [initial, max] = (env.KLOOP_SANDBOX_BACKOFF_MS ?? '').split(',').map((v) => Number(v.trim()));
  if (!initial || !Number.isFinite(initial) || initial <= 0) return { initialMs: 10_000, maxMs: 300_000 };
  return { initialMs: initial, maxMs: max && Number.isFinite(max) && max >= initial ? max : initial * 30 };
}

function stateDirFor(instance: string): string {
  return path.join(os.tmpdir(), `kloop-sandbox-${instance.replace(/[^a-zA-Z0-9_.-]/g, '-')}`);
}

/** Removes every container and network carrying the instance label (also after a crash). */
export async function cleanupInstance(
  instanceLabel: { key: string; value: string },
  engine: Engine = createEngine(createDockerClient()),
): Promise<void> {
  const label = `${instanceLabel.key}=${instanceLabel.value}`;
  // A pod worker may still be creating a container while we clean up: the network then has an
  // active endpoint, so remove what appeared and try again.
  for (let attempt = 1; ; attempt++) {
    const containers = await engine.listContainers(label);
    await Promise.all(containers.map((c) => engine.removeContainer(c.Id)));
    try {
      for (const network of await engine.listNetworks(label)) await engine.removeNetwork(network.Id);
      break;
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  fs.rmSync(stateDirFor(instanceLabel.value), { recursive: true, force: true });
}

export function createDockerNode(deps: NodeDeps, options: NodeOptions = {}): Node {
  const engine = createEngine(createDockerClient());
  const labels = { [deps.instanceLabel.key]: deps.instanceLabel.value };
  const root = options.stateDir ?? stateDirFor(deps.instanceLabel.value);
  const backoff = options.backoff ?? backoffFromEnv();
  let ips: ServiceIPs | undefined;
  let kubelet: Kubelet | undefined;
  let services: ReturnType<typeof createServiceProxies> | undefined;
  let streams: ReturnType<typeof createStreams> | undefined;

  function started<T>(value: T | undefined): T {
    if (value === undefined) throw new Error('the sandbox node is not started: await node.start() first');
    return value;
  }

  return {
    async start() {
      await engine.ping();
      if (!(await engine.inspectImage(INFRA_IMAGE))) {
        throw new Error(
          `the sandbox needs the image ${INFRA_IMAGE} in the local Docker for pod sandboxes and Service proxies: run sandbox/images/build.sh`,
        );
      }
      const network = await ensureNetwork(engine, deps.networkName, labels);
      fs.mkdirSync(root, { recursive: true });
      ips = createServiceIPs(network.prefix);
      for (const service of deps.store.list(SERVICES, undefined)) {
        const ip = (service.spec as { clusterIP?: string } | undefined)?.clusterIP;
        if (ip) ips.reserve(ip);
      }
      kubelet = createKubelet({
        engine,
        store: deps.store,
        network: network.name,
        hostIP: network.gateway,
        root,
        labels,
        backoff,
        log: deps.log,
        recordEvent: createEventRecorder(deps.store, deps.log),
      });
      services = createServiceProxies({ engine, store: deps.store, network, ips, root, labels, log: deps.log });
      streams = createStreams(engine, deps.store, kubelet);
      kubelet.start();
      services.start();
      deps.log(
        `node: pods on Docker network ${network.name} (${network.subnet}), Service IPs ${network.prefix}.128.0/17`,
      );
    },

    async stop() {
      await services?.stop();
      await kubelet?.stop();
      await cleanupInstance(deps.instanceLabel, engine);
      fs.rmSync(root, { recursive: true, force: true });
    },

    logs: (request) => started(streams).logs(request),
    exec: (request) => started(streams).exec(request),
    connect: (namespace, pod, port) => started(streams).connect(namespace, pod, port),

    allocateServiceIP: () => started(ips).allocate(),
    releaseServiceIP: (ip) => ips?.release(ip),
  };
}
