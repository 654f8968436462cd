// Endpoints and EndpointSlices for Services with a selector, from pods with an IP.
import type { KubeObject } from '../contract.ts';
import { selectorFromObject } from '../store/selectors.ts';
import type { MemoryStore } from '../store/store.ts';
import {
  canonical,
  type Controller,
  ENDPOINTS,
  ENDPOINTSLICES,
  isPodReady,
  type Obj,
  ownerRef,
  PODS,
  SERVICES,
  templateHash,
} from './runtime.ts';

function resolvePort(pod: KubeObject, target: unknown): number | undefined {
  if (typeof target === 'number') return target;
  const n = Number(target);
  if (Number.isInteger(n) && n > 0) return n;
  for (const c of ((pod.spec as Obj).containers ?? []) as Obj[]) {
    for (const p of (c.ports ?? []) as Obj[]) if (p.name === target) return Number(p.containerPort);
  }
  return undefined;
}

function save(store: MemoryStore, type: typeof PODS, wanted: KubeObject): void {
  const existing = store.get(type, wanted.metadata.namespace, wanted.metadata.name!);
  if (!existing) {
    store.create(type, wanted);
    return;
  }
  const strip = (o: KubeObject) => {
    const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = o;
    return canonical({ rest, labels: o.metadata.labels });
  };
  if (strip(existing) === strip(wanted)) return;
  store.update(type, { ...wanted, metadata: { ...existing.metadata, labels: wanted.metadata.labels } });
}

export function endpointsController(store: MemoryStore): Controller {
  return {
    name: 'endpoints',
    watches: ['/services', '/pods'],
    reconcile() {
      for (const svc of store.list(SERVICES, undefined)) {
        const spec = svc.spec as Obj;
        const selectorMap = spec.selector as Record<string, string> | undefined;
        if (!selectorMap || Object.keys(selectorMap).length === 0 || svc.metadata.deletionTimestamp) continue;
        const ns = svc.metadata.namespace!;
        const name = svc.metadata.name!;
        const selector = selectorFromObject({ matchLabels: selectorMap });
        const pods = store
          .list(PODS, ns)
          .filter(
            (p) => selector(p.metadata.labels) && (p.status as Obj | undefined)?.podIP && !p.metadata.deletionTimestamp,
          );
        const svcPorts = (spec.ports ?? []) as Obj[];
        const subsetPorts: Obj[] = [];
        const ready: Obj[] = [];
        const notReady: Obj[] = [];
        const sliceEndpoints: Obj[] = [];
        for (const pod of pods) {
          const ip = (pod.status as Obj).podIP;
          const ref = { kind: 'Pod', namespace: ns, name: pod.metadata.name, uid: pod.metadata.uid };
          const address = { ip, nodeName: (pod.spec as Obj).nodeName, targetRef: ref };
          (isPodReady(pod) ? ready : notReady).push(address);
          sliceEndpoints.push({
            addresses: [ip],
            conditions: { ready: isPodReady(pod), serving: isPodReady(pod), terminating: false },
            nodeName: (pod.spec as Obj).nodeName,
            targetRef: ref,
          });
        }
        for (const p of svcPorts) {
          const port = pods.length > 0 ? resolvePort(pods[0]!, p.targetPort ?? p.port) : undefined;
          if (port !== undefined)
            subsetPorts.push({ ...(p.name ? { name: p.name } : {}), port, protocol: p.protocol ?? 'TCP' });
        }
        const subsets =
          pods.length === 0
            ? undefined
            : [
                {
                  ...(ready.length ? { addresses: ready } : {}),
                  ...(notReady.length ? { notReadyAddresses: notReady } : {}),
                  ports: subsetPorts,
                },
              ];
        save(store, ENDPOINTS, {
          apiVersion: 'v1',
          kind: 'Endpoints',
          metadata: { name, namespace: ns, labels: { ...(svc.metadata.labels ?? {}) } },
          ...(subsets ? { subsets } : {}),
        });
        save(store, ENDPOINTSLICES, {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            name: `${name}-${templateHash(svc.metadata.uid).slice(0, 5)}`,
            namespace: ns,
            labels: {
              ...(svc.metadata.labels ?? {}),
              'kubernetes.io/service-name': name,
              'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
            },
            ownerReferences: [ownerRef(svc)],
          },
          addressType: 'IPv4',
          endpoints: sliceEndpoints,
          ports: subsetPorts,
        });
      }
      // Endpoints of Services that are gone (they carry no ownerReference, as in Kubernetes).
      for (const ep of store.list(ENDPOINTS, undefined)) {
        const svc = store.get(SERVICES, ep.metadata.namespace, ep.metadata.name!);
        const selector = (svc?.spec as Obj | undefined)?.selector as Obj | undefined;
        if (!svc && ep.metadata.name !== 'kubernetes')
          store.delete(ENDPOINTS, ep.metadata.namespace, ep.metadata.name!);
        void selector;
      }
    },
  };
}
