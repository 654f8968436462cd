// How a built image reaches the cluster. Clusters that run on the local Docker engine see its
// images as they are; kind and k3d keep their own image stores and need an import; anything else
// pulls from a registry, so the image is pushed there with the user's docker credentials.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KloopError } from '../errors.ts';
import { exec, tail } from '../process/exec.ts';
import { isLoopbackRegistry, parseImageName } from './registry.ts';

export type LoadSetting = 'auto' | 'none' | 'kind' | 'k3d' | 'minikube' | 'push';

export type LoadPlan =
  | { readonly method: 'none'; readonly reason: string; readonly sharedEngine?: boolean }
  | { readonly method: 'kind'; readonly cluster: string }
  | { readonly method: 'k3d'; readonly cluster: string }
  | { readonly method: 'push' };

/** Kube contexts whose cluster runs on the local Docker engine (minikube with its docker-env). */
const sharedEngine = [
  'kloop-sandbox',
  'docker-desktop',
  'docker-for-desktop',
  'minikube',
  'orbstack',
  'rancher-desktop',
];

/** Decides how images get to the cluster of `context`, from the setting (auto: from the context name). */
export function planLoad(setting: LoadSetting, context: string | undefined): LoadPlan {
  switch (setting) {
    case 'none':
      return { method: 'none', reason: 'build.load is none' };
    case 'minikube':
      return {
        method: 'none',
        reason: 'minikube shares the Docker engine (eval $(minikube docker-env))',
        sharedEngine: true,
      };
    case 'push':
      return { method: 'push' };
    case 'kind':
      return { method: 'kind', cluster: context?.startsWith('kind-') ? context.slice(5) : 'kind' };
    case 'k3d':
      return { method: 'k3d', cluster: context?.startsWith('k3d-') ? context.slice(4) : 'k3s-default' };
  }
  if (!context) return { method: 'none', reason: 'no kube context selected' };
  if (sharedEngine.includes(context))
    return { method: 'none', reason: `${context} uses the local Docker engine`, sharedEngine: true };
  if (context.startsWith('kind-')) return { method: 'kind', cluster: context.slice(5) };
  if (context.startsWith('k3d-')) return { method: 'k3d', cluster: context.slice(4) };
  return { method: 'push' };
}

/** The command line that gets `ref` to the cluster, or undefined when nothing is needed. */
export function loadCommand(plan: LoadPlan, ref: string, tools: { docker: string }): [string, string[]] | undefined {
  switch (plan.method) {
    case 'none':
      return undefined;
    case 'kind':
      return ['kind', ['load', 'docker-image', ref, '--name', plan.cluster]];
    case 'k3d':
      return ['k3d', ['image', 'import', ref, '--cluster', plan.cluster]];
    case 'push':
      return [tools.docker, ['push', ref]];
  }
}

const hints: Record<LoadPlan['method'], string> = {
  none: '',
  kind: 'is the kind cluster running (kind get clusters)? Use --no-load to skip loading',
  k3d: 'is the k3d cluster running (k3d cluster list)? Use --no-load to skip loading',
  push: 'log in to the registry (docker login <registry>), or set build.load in kloop.yaml (none, kind, k3d, minikube), or use --no-load',
};

/** Loads or pushes one image; returns the registry digest when a push reported one. */
export async function loadImage(
  plan: LoadPlan,
  imageName: string,
  ref: string,
  tools: { docker: string },
  onLine?: (line: string) => void,
): Promise<{ digest?: string }> {
  const cmd = loadCommand(plan, ref, tools);
  if (!cmd) return {};
  const result = await exec(cmd[0], cmd[1], { onLine });
  if (result.code !== 0) {
    const verb = plan.method === 'push' ? 'push' : `load into ${plan.method}`;
    throw new KloopError(`image "${imageName}": could not ${verb} ${ref}`, {
      details: tail(result.output, 10),
      hint: hints[plan.method],
    });
  }
  const digest = pushDigest(result.output);
  return digest ? { digest } : {};
}

/** The digest `docker push` reports on its last line: "<tag>: digest: sha256:<hex> size: <n>". */
export function pushDigest(output: string): string | undefined {
  return /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1];
}

/**
 * Says how built images will reach the cluster of `context` and why: for `kloop use context`,
 * so the registry a remote cluster pulls from is never a surprise.
 */
export function describeDelivery(
  setting: LoadSetting,
  context: string,
  images: ReadonlyArray<{ readonly name: string; readonly image: string }>,
): string[] {
  const plan = planLoad(setting, context);
  const why = setting === 'auto' ? '' : ` (build.load is ${setting})`;
  switch (plan.method) {
    case 'none':
      return [`images: used from the local Docker engine, no push — ${plan.reason}`];
    case 'kind':
    case 'k3d':
      return [
        `images: loaded into the ${plan.method} cluster "${plan.cluster}"${why || ' (from the context name)'}, no registry`,
      ];
    case 'push':
      break;
  }
  const lines = [
    `images: pushed to a registry${why || `: ${context} does not share the local Docker engine (not a kind, k3d, minikube, Docker Desktop or kloop-sandbox context)`}; the cluster pulls them from there`,
  ];
  if (images.length === 0) lines.push('  (no images: in kloop.yaml yet)');
  const byRegistry = new Map<string, string[]>();
  for (const i of images) {
    const registry = parseImageName(i.image).registry;
    byRegistry.set(registry, [...(byRegistry.get(registry) ?? []), i.name]);
  }
  for (const [registry, names] of byRegistry) {
    const from = names.map((n) => `images.${n}.image`).join(', ');
    let note = '';
    if (registry === 'docker.io') note = ' — Docker Hub, because the image names no registry host';
    else if (isLoopbackRegistry(registry)) note = ' — on this machine: only a cluster here can pull from it';
    lines.push(`  ${registry} (${from})${note}; credentials from docker login ${registry}`);
  }
  return lines;
}

// kind and k3d keep images in their nodes: an unchanged image loaded before is not loaded again
// (an import of a large image takes seconds to minutes). What was loaded is kept per cluster in
// <stateDir>/loaded.json with the node container's ID, which changes when the cluster is recreated.

interface LoadedRecord {
  node: string;
  images: Record<string, string>;
}

/** The container of the cluster's first node: `<name>-control-plane` (kind), `k3d-<name>-server-0` (k3d). */
export function nodeContainer(plan: LoadPlan): string | undefined {
  if (plan.method === 'kind') return `${plan.cluster}-control-plane`;
  if (plan.method === 'k3d') return `k3d-${plan.cluster}-server-0`;
  return undefined;
}

async function dockerId(docker: string, args: string[]): Promise<string | undefined> {
  const r = await exec(docker, args);
  return r.code === 0 ? r.stdout.trim() || undefined : undefined;
}

function loadedFile(stateDir: string): string {
  return join(stateDir, 'loaded.json');
}

function readLoaded(stateDir: string): Record<string, LoadedRecord> {
  try {
    return JSON.parse(readFileSync(loadedFile(stateDir), 'utf8')) as Record<string, LoadedRecord>;
  } catch {
    return {};
  }
}

/** The node and image IDs that identify "this image in this cluster", when both exist. */
async function loadIdentity(plan: LoadPlan, ref: string, docker: string) {
  const container = nodeContainer(plan);
  if (!container) return undefined;
  const node = await dockerId(docker, ['container', 'inspect', '--format', '{{.Id}}', container]);
  const image = await dockerId(docker, ['image', 'inspect', '--format', '{{.Id}}', ref]);
  return node && image ? { key: `${plan.method}/${container}`, node, image } : undefined;
}

/** Whether `ref` (this image ID) was loaded into this very cluster (same node container) before. */
export async function alreadyLoaded(stateDir: string, plan: LoadPlan, ref: string, docker: string): Promise<boolean> {
  const id = await loadIdentity(plan, ref, docker);
  if (!id) return false;
  const record = readLoaded(stateDir)[id.key];
  return record?.node === id.node && record.images[ref] === id.image;
}

let writes: Promise<void> = Promise.resolve();

/** Records a successful load (serialised: images load in parallel). */
export function recordLoaded(stateDir: string, plan: LoadPlan, ref: string, docker: string): Promise<void> {
  writes = writes.then(async () => {
    const id = await loadIdentity(plan, ref, docker);
    if (!id) return;
    const all = readLoaded(stateDir);
    const record = all[id.key]?.node === id.node ? all[id.key]! : { node: id.node, images: {} };
    record.images[ref] = id.image;
    all[id.key] = record;
    mkdirSync(stateDir, { recursive: true });
    const tmp = `${loadedFile(stateDir)}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`);
    renameSync(tmp, loadedFile(stateDir));
  });
  return writes;
}
