// Docker create bodies for a pod's sandbox ("pause") container and its app containers.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ContainerSpec } from './docker/engine.ts';
import { ConfigError, expand, parseBytes, parseCpu } from './env.ts';
import type { Container, Pod } from './types.ts';
import type { PreparedVolume } from './volumes.ts';

export const INFRA_IMAGE = 'busybox:1.36';
export const CLUSTER_DOMAIN = 'cluster.local';

export const LABEL_POD_UID = 'kloop.sandbox/pod-uid';
export const LABEL_ROLE = 'kloop.sandbox/role';

export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const withoutDigest = image.split('@')[0]!;
  if (image.includes('@')) return 'IfNotPresent';
  const lastPart = withoutDigest.split('/').pop()!;
  const tag = lastPart.includes(':') ? lastPart.split(':').pop() : undefined;
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/**
 * The image reference as the container runtime reports it in containerStatuses[].image:
 * Docker Hub names in full (busybox:1.36 → docker.io/library/busybox:1.36), `:latest` made explicit.
 */
export function fullImageName(image: string): string {
  if (!image) return image;
  const [name, digest] = image.split('@') as [string, string | undefined];
  const parts = name.split('/');
  const first = parts[0]!;
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let full = hasRegistry ? name : parts.length === 1 ? `docker.io/library/${name}` : `docker.io/${name}`;
  const last = full.split('/').pop()!;
  if (!digest && !last.includes(':')) full += ':latest';
  return digest ? `${full}@${digest}` : full;
}

/** Makes Docker container names unique per instance of a container. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** Docker container names allow [a-zA-Z0-9_.-]; Kubernetes names fit, keep it safe anyway. */
export function dockerName(...parts: string[]): string {
  return parts.map((p) => p.replace(/[^a-zA-Z0-9_.-]/g, '-')).join('_');
}

export function pauseSpec(pod: Pod, network: string, labels: Record<string, string>): ContainerSpec {
  const namespace = pod.metadata.namespace ?? 'default';
  // hostname.subdomain.ns.svc.cluster.local names the pod (StatefulSet pods behind a headless Service).
  const aliases = pod.spec.subdomain
    ? [`${pod.spec.hostname ?? pod.metadata.name}.${pod.spec.subdomain}.${namespace}.svc.${CLUSTER_DOMAIN}`]
    : [];
  const extraHosts: string[] = [];
  for (const alias of pod.spec.hostAliases ?? []) {
    for (const host of alias.hostnames ?? []) extraHosts.push(`${host}:${alias.ip}`);
  }
  return {
    Image: INFRA_IMAGE,
    Entrypoint: ['sleep'],
    Cmd: ['infinity'],
    Hostname: (pod.spec.hostname ?? pod.metadata.name ?? 'pod').slice(0, 63),
    Labels: { ...labels, [LABEL_ROLE]: 'pod-sandbox' },
    HostConfig: {
      NetworkMode: network,
      IpcMode: 'shareable',
      // The pod's resolver: Service names in its namespace first, like the kubelet's resolv.conf.
      // ndots:1, not the kubelet's 5: Docker's DNS forwards every name it does not know upstream,
      // so each search-list miss of `svc.ns.svc` cost 150-250 ms (CoreDNS answers them at once).
      // A name with a dot is tried as written first, and `svc.ns`, `svc.ns.svc` and the full name
      // are network aliases.
      DnsSearch: [`${namespace}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN],
      DnsOptions: ['ndots:1'],
      ExtraHosts: extraHosts,
    },
    NetworkingConfig: { EndpointsConfig: { [network]: aliases.length > 0 ? { Aliases: aliases } : {} } },
  };
}

function mounts(container: Container, volumes: Map<string, PreparedVolume>) {
  const result: Array<Record<string, unknown>> = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.get(mount.name);
    if (!volume) throw new ConfigError(`volumeMount "${mount.name}" of container "${container.name}" names no volume`);
    let source = volume.hostPath;
    if (mount.subPath) {
      if (mount.subPath.split('/').includes('..')) throw new ConfigError(`invalid subPath "${mount.subPath}"`);
      source = path.join(source, mount.subPath);
      // The kubelet creates a missing subPath as a directory.
      if (!fs.existsSync(source)) fs.mkdirSync(source, { recursive: true, mode: 0o777 });
    }
    result.push({
      Type: 'bind',
      Source: source,
      Target: mount.mountPath,
      ReadOnly: volume.readOnly || !!mount.readOnly,
    });
  }
  return result;
}

export function containerSpec(options: {
  pod: Pod;
  container: Container;
  env: Map<string, string>;
  volumes: Map<string, PreparedVolume>;
  pauseId: string;
  /** the Docker container whose PID namespace to join */
  pidTarget?: string;
  labels: Record<string, string>;
}): ContainerSpec {
  const { container, env, pod } = options;
  const user = container.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser;
  const group = container.securityContext?.runAsGroup ?? pod.spec.securityContext?.runAsGroup;
  const limits = container.resources?.limits ?? {};
  const hostConfig: Record<string, unknown> = {
    NetworkMode: `container:${options.pauseId}`,
    IpcMode: `container:${options.pauseId}`,
    Mounts: mounts(container, options.volumes),
    Privileged: container.securityContext?.privileged === true,
  };
  if (options.pidTarget) hostConfig.PidMode = `container:${options.pidTarget}`;
  if (limits.memory !== undefined) {
    hostConfig.Memory = parseBytes(limits.memory);
    // No swap, so going over the limit is an OOM kill as in a cluster.
    hostConfig.MemorySwap = hostConfig.Memory;
  }
  if (limits.cpu !== undefined) hostConfig.NanoCpus = Math.round(parseCpu(limits.cpu) * 1e9);
  const spec: ContainerSpec = {
    Image: container.image ?? '',
    Env: [...env].map(([k, v]) => `${k}=${v}`),
    Labels: options.labels,
    Tty: container.tty === true,
    OpenStdin: container.stdin === true,
    StdinOnce: container.stdinOnce === true,
    HostConfig: hostConfig,
  };
  // command replaces the image's ENTRYPOINT (and drops its CMD); args replace CMD.
  if (container.command) spec.Entrypoint = container.command.map((c) => expand(c, env));
  if (container.args) spec.Cmd = container.args.map((a) => expand(a, env));
  else if (container.command) spec.Cmd = [];
  if (container.workingDir) spec.WorkingDir = container.workingDir;
  if (user !== undefined) spec.User = group !== undefined ? `${user}:${group}` : String(user);
  return spec;
}
