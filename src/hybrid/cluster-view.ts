// What hybrid needs to know about one namespace, kept current by two watches: its Services and
// which ready pods each one selects. Forwards ask it for a pod at connection time, so a replaced
// pod is followed without any reconnect logic of their own.
import type { KubeClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/types.ts';
import { type Watcher, watchCollection } from '../kube/watch.ts';

export interface ServicePort {
  name?: string;
  port: number;
  targetPort: number | string;
  protocol: string;
}

export interface ServiceInfo {
  name: string;
  namespace: string;
  selector: Record<string, string>;
  ports: ServicePort[];
  /** ExternalName Services and Services without a selector have no pods kloop can forward to */
  forwardable: boolean;
}

export function serviceInfo(obj: KubeObject): ServiceInfo {
  const spec = obj.spec ?? {};
  const selector: Record<string, string> = { ...(spec.selector ?? {}) };
  const ports: ServicePort[] = (spec.ports ?? []).map(
    (p: { name?: string; port: number; targetPort?: number | string; protocol?: string }) => ({
      ...(p.name ? { name: p.name } : {}),
      port: p.port,
      targetPort: p.targetPort ?? p.port,
      protocol: p.protocol ?? 'TCP',
    }),
  );
  return {
    name: obj.metadata.name ?? '',
    namespace: obj.metadata.namespace ?? '',
    selector,
    ports,
    forwardable: spec.type !== 'ExternalName' && Object.keys(selector).length > 0,
  };
}

export function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  const keys = Object.keys(selector);
  return keys.length > 0 && keys.every((k) => labels?.[k] === selector[k]);
}

export function isReadyPod(pod: KubeObject): boolean {
  return (
    !pod.metadata.deletionTimestamp &&
    pod.status?.phase === 'Running' &&
    (pod.status?.conditions ?? []).some(
      (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
    )
  );
}

/** The pod port a Service targetPort means: a number as is, a name looked up in the pod's containers. */
export function resolveTargetPort(pod: KubeObject, targetPort: number | string): number | undefined {
  if (typeof targetPort === 'number') return targetPort;
  if (/^\d+$/.test(targetPort)) return Number(targetPort);
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === targetPort) return p.containerPort as number;
  }
  return undefined;
}

export interface ClusterViewEvents {
  /** the set of Services changed (added, removed, ports changed) */
  onServices?(services: ServiceInfo[]): void;
  /** a pod stopped being usable: connections to it should end */
  onPodGone?(podName: string): void;
  onError?(error: Error): void;
}

export class ClusterView {
  readonly namespace: string;
  private readonly client: KubeClient;
  private readonly events: ClusterViewEvents;
  private readonly services = new Map<string, ServiceInfo>();
  private readonly pods = new Map<string, KubeObject>();
  private watchers: Watcher[] = [];
  private servicesListed!: Promise<void>;
  private podsListed!: Promise<void>;
  private next = 0;

  constructor(client: KubeClient, namespace: string, events: ClusterViewEvents = {}) {
    this.client = client;
    this.namespace = namespace;
    this.events = events;
  }

  /** Starts both watches; resolves once both first lists arrived. */
  async start(): Promise<void> {
    const ns = encodeURIComponent(this.namespace);
    let svcListed: () => void = () => {};
    let podListed: () => void = () => {};
    this.servicesListed = new Promise((r) => {
      svcListed = r;
    });
    this.podsListed = new Promise((r) => {
      podListed = r;
    });
    const failed = new Promise<never>((_, reject) => {
      const onError = (error: Error) => {
        reject(error);
        this.events.onError?.(error);
      };
      this.watchers.push(
        watchCollection(
          this.client,
          `/api/v1/namespaces/${ns}/services`,
          {
            onList: (items) => {
              this.services.clear();
              for (const s of items) this.services.set(s.metadata.name!, serviceInfo(s));
              svcListed();
              this.events.onServices?.(this.list());
            },
            onEvent: (type, obj) => {
              if (type === 'DELETED') this.services.delete(obj.metadata.name!);
              else this.services.set(obj.metadata.name!, serviceInfo(obj));
              this.events.onServices?.(this.list());
            },
            onError,
          },
          { idleMs: 60_000 },
        ),
        watchCollection(
          this.client,
          `/api/v1/namespaces/${ns}/pods`,
          {
            onList: (items) => {
              const before = new Set(this.pods.keys());
              this.pods.clear();
              for (const p of items) this.pods.set(p.metadata.name!, p);
              for (const name of before) if (!this.usable(name)) this.events.onPodGone?.(name);
              podListed();
            },
            onEvent: (type, obj) => {
              const name = obj.metadata.name!;
              if (type === 'DELETED') this.pods.delete(name);
              else this.pods.set(name, obj);
              if (!this.usable(name)) this.events.onPodGone?.(name);
            },
            onError,
          },
          { idleMs: 60_000 },
        ),
      );
    });
    failed.catch(() => {});
    await Promise.race([Promise.all([this.servicesListed, this.podsListed]), failed]);
  }

  private usable(name: string): boolean {
    const pod = this.pods.get(name);
    return Boolean(pod && isReadyPod(pod));
  }

  list(): ServiceInfo[] {
    return [...this.services.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  service(name: string): ServiceInfo | undefined {
    return this.services.get(name);
  }

  /** The ready pods a selector matches right now. */
  readyPods(selector: Record<string, string>): KubeObject[] {
    return [...this.pods.values()].filter((p) => isReadyPod(p) && selects(selector, p.metadata.labels));
  }

  /** All pods a selector matches (for error messages). */
  matchingPods(selector: Record<string, string>): KubeObject[] {
    return [...this.pods.values()].filter((p) => selects(selector, p.metadata.labels));
  }

  /** A ready pod for one connection to a Service port, spreading connections round-robin. */
  pick(service: ServiceInfo, port: ServicePort): { pod: string; port: number } | null {
    const ready = this.readyPods(service.selector).sort((a, b) =>
      String(a.metadata.name).localeCompare(String(b.metadata.name)),
    );
    for (let i = 0; i < ready.length; i++) {
      const pod = ready[(this.next + i) % ready.length]!;
      const target = resolveTargetPort(pod, port.targetPort);
      if (target !== undefined) {
        this.next++;
        return { pod: pod.metadata.name!, port: target };
      }
    }
    return null;
  }

  stop(): void {
    for (const w of this.watchers) w.stop();
    this.watchers = [];
  }
}
