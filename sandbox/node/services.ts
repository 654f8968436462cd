// Service networking in place of kube-proxy and CoreDNS: each ClusterIP Service gets a small
// proxy container on the pod network at its clusterIP, with the DNS names
// `svc.ns.svc.cluster.local`, `svc.ns.svc` and `svc.ns` as Docker network aliases (pods reach
// `svc` through their search domains). Per port, busybox `nc -ll` hands each connection to a
// script that picks a random ready endpoint from a file the sandbox keeps up to date.

import fs from 'node:fs';
import path from 'node:path';
import type { Store, WatchEvent } from '../contract.ts';
import { CLUSTER_DOMAIN, dockerName, INFRA_IMAGE, LABEL_ROLE, uniqueSuffix } from './container-spec.ts';
import type { Engine } from './docker/engine.ts';
import type { PodNetwork, ServiceIPs } from './network.ts';
import { ENDPOINTS, PODS, type Pod, SERVICES, type Service, type ServicePort } from './types.ts';

export interface ServiceContext {
  engine: Engine;
  store: Store;
  network: PodNetwork;
  ips: ServiceIPs;
  root: string;
  labels: Record<string, string>;
  log(message: string): void;
}

const FORWARD = `#!/bin/sh
# Connects stdin/stdout (the client connection) to one ready endpoint of the Service port.
set -- $(shuf -n 1 "/kloop/endpoints-$1" 2>/dev/null)
[ -n "$1" ] || exit 0
exec nc "$1" "$2"
`;

interface Proxy {
  containerId: string;
  signature: string;
}

function isReady(pod: Pod): boolean {
  return (
    !pod.metadata.deletionTimestamp &&
    !!pod.status?.podIP &&
    !!pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function targetPort(pod: Pod, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const container of pod.spec.containers) {
    const named = container.ports?.find((p) => p.name === target);
    if (named) return named.containerPort;
  }
  return undefined;
}

function tcpPorts(service: Service): ServicePort[] {
  return (service.spec.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP');
}

export function createServiceProxies(ctx: ServiceContext) {
  const proxies = new Map<string, Proxy>();
  const headless = new Map<string, string>();
  // per Service: the reconcile waiting to run, and the latest one queued or running
  const queues = new Map<string, Promise<void>>();
  const running = new Map<string, Promise<void>>();
  const unsubscribe: Array<() => void> = [];
  let stopped = false;

  const dirOf = (ns: string, name: string) => path.join(ctx.root, 'services', ns, name);

  /** Endpoint lines "ip port" per service port, from ready selected pods (or an Endpoints object). */
  function endpoints(service: Service): Map<number, string[]> | undefined {
    const ns = service.metadata.namespace ?? 'default';
    const result = new Map<number, string[]>();
    const ports = tcpPorts(service);
    if (service.spec.selector && Object.keys(service.spec.selector).length > 0) {
      const pods = ctx.store.list(PODS, ns) as Pod[];
      for (const port of ports) {
        const lines: string[] = [];
        for (const pod of pods) {
          if (!matches(service.spec.selector, pod.metadata.labels) || !isReady(pod)) continue;
          const target = targetPort(pod, port);
          if (target !== undefined) lines.push(`${pod.status!.podIP} ${target}`);
        }
        result.set(port.port, lines);
      }
      return result;
    }
    // A Service without selector routes to the addresses of its Endpoints object.
    const object = ctx.store.get(ENDPOINTS, ns, service.metadata.name ?? '');
    const subsets =
      (object?.subsets as
        | Array<{ addresses?: Array<{ ip: string }>; ports?: Array<{ name?: string; port: number }> }>
        | undefined) ?? [];
    const addresses = subsets.flatMap((s) => (s.addresses ?? []).map((a) => ({ ip: a.ip, ports: s.ports ?? [] })));
    if (!addresses.some((a) => a.ip.startsWith(`${ctx.network.prefix}.`))) return undefined;
    for (const port of ports) {
      const lines = addresses.flatMap((a) => {
        const p =
          a.ports.find((x) => (x.name ?? '') === (port.name ?? '')) ?? (a.ports.length === 1 ? a.ports[0] : undefined);
        return p ? [`${a.ip} ${p.port}`] : [];
      });
      result.set(port.port, lines);
    }
    return result;
  }

  function writeEndpoints(dir: string, table: Map<number, string[]>): void {
    fs.mkdirSync(dir, { recursive: true });
    const forward = path.join(dir, 'forward');
    if (!fs.existsSync(forward)) fs.writeFileSync(forward, FORWARD, { mode: 0o755 });
    for (const [port, lines] of table) {
      const file = path.join(dir, `endpoints-${port}`);
      const content = lines.length > 0 ? `${lines.join('\n')}\n` : '';
      try {
        if (fs.readFileSync(file, 'utf8') === content) continue;
      } catch {
        // not written yet
      }
      fs.writeFileSync(`${file}.tmp`, content);
      fs.renameSync(`${file}.tmp`, file);
    }
  }

  async function removeProxy(key: string): Promise<void> {
    const proxy = proxies.get(key);
    if (!proxy) return;
    proxies.delete(key);
    await ctx.engine.removeContainer(proxy.containerId);
  }

  /**
   * A headless Service (clusterIP None) gets a proxy too, at an address of the Service range that
   * is not written into the object, so its name still reaches the pods.
   */
  function addressOf(key: string, service: Service | undefined): string | undefined {
    const ip = service?.spec.clusterIP;
    if (ip !== 'None') {
      releaseHeadless(key);
      return ip;
    }
    let own = headless.get(key);
    if (!own) {
      own = ctx.ips.allocate();
      headless.set(key, own);
    }
    return own;
  }

  function releaseHeadless(key: string): void {
    const own = headless.get(key);
    if (!own) return;
    headless.delete(key);
    ctx.ips.release(own);
  }

  async function reconcile(ns: string, name: string): Promise<void> {
    const key = `${ns}/${name}`;
    const service = ctx.store.get(SERVICES, ns, name) as Service | undefined;
    const eligible = !!service && !stopped && service.spec.type !== 'ExternalName' && tcpPorts(service).length > 0;
    if (!eligible) releaseHeadless(key);
    const ip = eligible ? addressOf(key, service) : undefined;
    // A clusterIP the user chose (not from allocateServiceIP) must not be handed out again.
    if (ip && service?.spec.clusterIP === ip) ctx.ips.reserve(ip);
    const usable = eligible && !!ip && ctx.ips.contains(ip);
    const table = usable ? endpoints(service!) : undefined;
    if (!usable || !table) {
      await removeProxy(key);
      fs.rmSync(dirOf(ns, name), { recursive: true, force: true });
      return;
    }
    const dir = dirOf(ns, name);
    writeEndpoints(dir, table);
    const ports = tcpPorts(service!).map((p) => p.port);
    const signature = JSON.stringify({ ip, ports });
    if (proxies.get(key)?.signature === signature) return;
    await removeProxy(key);
    const listeners = ports.map((p) => `nc -ll -p ${p} -e /kloop/forward ${p} &`).join(' ');
    const aliases = [`${name}.${ns}.svc.${CLUSTER_DOMAIN}`, `${name}.${ns}.svc`, `${name}.${ns}`];
    const containerId = await ctx.engine.createContainer(dockerName('kloop-svc', name, ns, uniqueSuffix()), {
      Image: INFRA_IMAGE,
      Entrypoint: ['sh', '-c', `${listeners} wait`],
      Cmd: [],
      Labels: { ...ctx.labels, [LABEL_ROLE]: 'service-proxy', 'kloop.sandbox/service': key },
      HostConfig: {
        NetworkMode: ctx.network.name,
        Mounts: [{ Type: 'bind', Source: dir, Target: '/kloop', ReadOnly: true }],
      },
      NetworkingConfig: {
        EndpointsConfig: { [ctx.network.name]: { IPAMConfig: { IPv4Address: ip }, Aliases: aliases } },
      },
    });
    proxies.set(key, { containerId, signature });
    await ctx.engine.startContainer(containerId);
  }

  /** Runs reconciles of one Service one after another; coalesces bursts of events. */
  function schedule(ns: string, name: string): void {
    const key = `${ns}/${name}`;
    if (queues.has(key)) {
      // One reconcile is queued behind the running one already; it will see the latest state.
      return;
    }
    const previous = running.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => {
        queues.delete(key);
        return reconcile(ns, name);
      })
      .catch((err) => ctx.log(`service ${key}: ${(err as Error).message}`))
      .finally(() => {
        if (running.get(key) === next) running.delete(key);
      });
    queues.set(key, next);
    running.set(key, next);
  }
  function servicesIn(ns: string | undefined): void {
    for (const service of ctx.store.list(SERVICES, ns)) {
      schedule(service.metadata.namespace ?? 'default', service.metadata.name ?? '');
    }
  }

  return {
    start(): void {
      unsubscribe.push(
        ctx.store.subscribe(SERVICES, (event: WatchEvent) => {
          schedule(event.object.metadata.namespace ?? 'default', event.object.metadata.name ?? '');
        }),
        ctx.store.subscribe(PODS, (event) => servicesIn(event.object.metadata.namespace)),
        ctx.store.subscribe(ENDPOINTS, (event) =>
          schedule(event.object.metadata.namespace ?? 'default', event.object.metadata.name ?? ''),
        ),
      );
      servicesIn(undefined);
    },
    async stop(): Promise<void> {
      stopped = true;
      for (const off of unsubscribe) off();
      await Promise.allSettled([...running.values()]);
      await Promise.all([...proxies.keys()].map((key) => removeProxy(key)));
    },
  };
}
