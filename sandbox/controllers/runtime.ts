// A tiny controller runtime: each controller reconciles everything it owns when a type it
// watches changes (coalesced), and once a second for time-based work.
import type { KubeObject, WatchEvent } from '../contract.ts';
import { ApiError } from '../server/errors.ts';
import { typeKey } from '../server/resources.ts';
import type { MemoryStore } from '../store/store.ts';

export interface Controller {
  name: string;
  /** type keys ("apps/deployments", "/pods") whose changes trigger a reconcile */
  watches: string[];
  /** narrows `watches` to the events that can matter (the 1 s tick still runs everything) */
  interested?(event: WatchEvent): boolean;
  reconcile(): void;
}

export function runControllers(store: MemoryStore, controllers: Controller[], log: (m: string) => void): () => void {
  const dirty = new Set<Controller>();
  let scheduled: NodeJS.Timeout | undefined;
  const schedule = (delay = 2) => {
    scheduled ??= setTimeout(run, delay);
  };
  const run = () => {
    scheduled = undefined;
    const batch = [...dirty];
    dirty.clear();
    for (const controller of batch) {
      try {
        controller.reconcile();
      } catch (error) {
        // A conflict or a vanished object means another writer got there first: try again soon.
        if (!(error instanceof ApiError && (error.code === 409 || error.code === 404))) {
          log(`controller ${controller.name}: ${(error as Error).stack ?? error}`);
        }
        dirty.add(controller);
        schedule(50);
      }
    }
  };
  const unsubscribe = store.subscribeAll((info, event) => {
    const key = typeKey(info);
    for (const c of controllers) {
      if (c.watches.includes(key) && (!c.interested || c.interested(event))) dirty.add(c);
    }
    if (dirty.size > 0) schedule();
  });
  const tick = setInterval(() => {
    for (const c of controllers) dirty.add(c);
    schedule();
  }, 1000);
  for (const c of controllers) dirty.add(c);
  schedule();
  return () => {
    unsubscribe();
    clearInterval(tick);
    if (scheduled) clearTimeout(scheduled);
  };
}

export const PODS = { group: '', version: 'v1', resource: 'pods' };
export const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };
export const REPLICASETS = { group: 'apps', version: 'v1', resource: 'replicasets' };
export const STATEFULSETS = { group: 'apps', version: 'v1', resource: 'statefulsets' };
export const DAEMONSETS = { group: 'apps', version: 'v1', resource: 'daemonsets' };
export const CONTROLLERREVISIONS = { group: 'apps', version: 'v1', resource: 'controllerrevisions' };
export const JOBS = { group: 'batch', version: 'v1', resource: 'jobs' };
export const CRONJOBS = { group: 'batch', version: 'v1', resource: 'cronjobs' };
export const SERVICES = { group: '', version: 'v1', resource: 'services' };
export const ENDPOINTS = { group: '', version: 'v1', resource: 'endpoints' };
export const ENDPOINTSLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' };
export const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };
export const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };

export type Obj = Record<string, unknown>;

export function ownerRef(owner: KubeObject) {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function ownedBy(object: KubeObject, owner: KubeObject): boolean {
  return (object.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === owner.metadata.uid);
}

export function isPodReady(pod: KubeObject): boolean {
  const conditions = ((pod.status as Obj | undefined)?.conditions ?? []) as Obj[];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

export function podPhase(pod: KubeObject): string {
  return String((pod.status as Obj | undefined)?.phase ?? 'Pending');
}

/** Pods that count toward a controller's replicas: not terminating and not finished. */
export function isActivePod(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return !pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

/**
 * JSON with sorted keys and without nulls, to compare templates semantically: `kubectl rollout
 * undo` sends a template carrying `creationTimestamp: null`, which means the same as none.
 */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Obj)[k] !== undefined && (value as Obj)[k] !== null)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Obj)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Updates the status only when it changed, so reconciles do not churn resourceVersions. */
export function writeStatus(store: MemoryStore, type: typeof PODS, object: KubeObject, status: Obj): void {
  if (canonical(object.status ?? {}) === canonical(status)) return;
  store.update(type, { ...object, status }, { subresource: 'status' });
}

export function condition(type: string, status: boolean, reason: string, message: string, previous?: Obj[]): Obj {
  const old = previous?.find((c) => c.type === type);
  const value = status ? 'True' : 'False';
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const since = old && old.status === value ? old.lastTransitionTime : now;
  return {
    type,
    status: value,
    lastUpdateTime: old && old.status === value && old.reason === reason ? old.lastUpdateTime : now,
    lastTransitionTime: since,
    reason,
    message,
  };
}

/** Creates a pod from a template the way workload controllers do. */
export function podFromTemplate(
  template: Obj,
  owner: KubeObject,
  name: { generateName?: string; name?: string },
  extraLabels: Record<string, string> = {},
): KubeObject {
  const meta = (template.metadata ?? {}) as Obj;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...name,
      namespace: owner.metadata.namespace,
      labels: { ...((meta.labels as Record<string, string>) ?? {}), ...extraLabels },
      ...(meta.annotations ? { annotations: structuredClone(meta.annotations) as Record<string, string> } : {}),
      ownerReferences: [ownerRef(owner)],
    },
    spec: structuredClone(template.spec ?? {}),
  };
}

/** fnv-32a of the template, encoded like Kubernetes' rand.SafeEncodeString. */
export function templateHash(template: unknown, collisionCount = 0): string {
  let hash = 0x811c9dc5;
  const text = canonical(template) + (collisionCount ? String(collisionCount) : '');
  for (const byte of Buffer.from(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...String(hash)].map((c) => alphabet[c.charCodeAt(0) % alphabet.length]).join('');
}
