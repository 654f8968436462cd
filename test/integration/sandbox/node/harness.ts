// Shared setup for node-side integration tests: a real Docker node over a fixture store, with
// cleanup of every container and network by instance label even when a test fails.

import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import type { KubeObject, Node } from '../../../../sandbox/contract.ts';
import { cleanupInstance, createDockerNode } from '../../../../sandbox/node/index.ts';
import { PODS, type Pod } from '../../../../sandbox/node/types.ts';
import { createAdmission } from '../../../../sandbox/server/admission.ts';
import { bootstrap } from '../../../../sandbox/server/bootstrap.ts';
import { Registry } from '../../../../sandbox/server/resources.ts';
import { MemoryStore } from '../../../../sandbox/store/store.ts';

export const LABEL_KEY = 'kloop.sandbox/instance';

export interface Harness {
  node: Node;
  store: MemoryStore;
  instance: string;
  logs: string[];
  close(): Promise<void>;
}

/** Fails (in CI) or explains (locally) when Docker is missing. */
export function requireDocker(): void {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore' });
  } catch {
    throw new Error('these tests need a running Docker Engine (docker info failed)');
  }
}

export async function startNode(options: { backoffMs?: number } = {}): Promise<Harness> {
  requireDocker();
  const instance = `t${randomBytes(4).toString('hex')}`;
  const store = new MemoryStore(new Registry());
  const logs: string[] = [];
  const deps = {
    store,
    networkName: `kloop-sandbox-${instance}`,
    instanceLabel: { key: LABEL_KEY, value: instance },
    log: (message: string) => logs.push(message),
  };
  const backoff = options.backoffMs ? { initialMs: options.backoffMs, maxMs: options.backoffMs * 4 } : undefined;
  const node = createDockerNode(deps, backoff ? { backoff } : {});
  // The sandbox's own store and admission (pod defaults, Service IPs from this node), as in main.ts.
  store.admission = createAdmission(store, () => node);
  try {
    await node.start();
    bootstrap(store, 443);
  } catch (err) {
    await cleanupInstance(deps.instanceLabel);
    throw err;
  }
  return {
    node,
    store,
    instance,
    logs,
    async close() {
      try {
        await node.stop();
      } finally {
        await cleanupInstance(deps.instanceLabel);
      }
    },
  };
}

export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export function pod(
  name: string,
  spec: Record<string, unknown>,
  extra: Partial<KubeObject['metadata']> = {},
): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...extra }, spec };
}

export function getPod(h: Harness, name: string, namespace = 'default') {
  return h.store.get(PODS, namespace, name) as Pod | undefined;
}

export function isReady(object: Pod | undefined): boolean {
  return object?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs a command in a pod's container; resolves with output and exit code. */
export async function run(h: Harness, podName: string, container: string, command: string[], stdin?: string) {
  const proc = await h.node.exec({
    namespace: 'default',
    pod: podName,
    container,
    command,
    stdin: stdin !== undefined,
    tty: false,
  });
  const out = readAll(proc.stdout);
  const err = proc.stderr ? readAll(proc.stderr) : Promise.resolve('');
  if (stdin !== undefined) proc.stdin!.end(stdin);
  const exitCode = await proc.exited;
  return { exitCode, stdout: await out, stderr: await err };
}

export const sleeper = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  image: 'busybox:1.36',
  command: ['sleep', '3600'],
  ...extra,
});

/** Waits until the pod is Running with every container running. */
export function runningPod(h: Harness, name: string): Promise<Pod> {
  return waitFor(`${name} running`, () => {
    const p = getPod(h, name);
    return p?.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.state.running) ? p : undefined;
  });
}
