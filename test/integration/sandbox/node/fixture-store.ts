// A minimal in-memory Store for driving the node side alone (a test fixture, not the sandbox's
// store): create/update/delete with resourceVersions, pod graceful deletion, live events.

import { randomUUID } from 'node:crypto';
import type { KubeObject, ListOptions, ResourceType, Store, WatchEvent } from '../../../../sandbox/contract.ts';

export class FixtureStore implements Store {
  private objects = new Map<string, KubeObject>();
  private listeners = new Map<string, Set<(event: WatchEvent) => void>>();
  private rv = 1;

  private key(type: ResourceType, namespace: string | undefined, name: string): string {
    return `${type.group}/${type.resource}/${namespace ?? ''}/${name}`;
  }

  private emit(type: ResourceType, event: WatchEvent): void {
    for (const listener of this.listeners.get(type.resource) ?? []) listener(structuredClone(event));
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.objects.get(this.key(type, namespace, name));
    return found ? structuredClone(found) : undefined;
  }

  list(type: ResourceType, namespace: string | undefined, _options?: ListOptions): KubeObject[] {
    const prefix = `${type.group}/${type.resource}/${namespace ?? ''}`;
    return [...this.objects.entries()]
      .filter(([key]) => (namespace ? key.startsWith(`${prefix}/`) : key.startsWith(prefix)))
      .map(([, object]) => structuredClone(object));
  }

  create(type: ResourceType, object: KubeObject): KubeObject {
    const stored = structuredClone(object);
    stored.metadata.namespace ??= 'default';
    stored.metadata.uid = randomUUID();
    stored.metadata.resourceVersion = String(++this.rv);
    stored.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const key = this.key(type, stored.metadata.namespace, stored.metadata.name!);
    if (this.objects.has(key)) throw new Error(`${type.resource} "${stored.metadata.name}" already exists`);
    this.objects.set(key, stored);
    this.emit(type, { type: 'ADDED', object: stored });
    return structuredClone(stored);
  }

  update(type: ResourceType, object: KubeObject, options?: { subresource?: 'status' }): KubeObject {
    const key = this.key(type, object.metadata.namespace, object.metadata.name!);
    const current = this.objects.get(key);
    if (!current) throw new Error(`${type.resource} "${object.metadata.name}" not found`);
    if (object.metadata.resourceVersion && object.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw new Error(`Operation cannot be fulfilled on ${type.resource} "${object.metadata.name}": conflict`);
    }
    const next =
      options?.subresource === 'status'
        ? { ...structuredClone(current), status: structuredClone(object.status) }
        : { ...structuredClone(object), status: structuredClone(current.status) };
    next.metadata.resourceVersion = String(++this.rv);
    this.objects.set(key, next);
    this.emit(type, { type: 'MODIFIED', object: next });
    return structuredClone(next);
  }

  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options?: { gracePeriodSeconds?: number },
  ): KubeObject | undefined {
    const key = this.key(type, namespace, name);
    const current = this.objects.get(key);
    if (!current) return undefined;
    const spec = current.spec as { terminationGracePeriodSeconds?: number } | undefined;
    const grace = options?.gracePeriodSeconds ?? spec?.terminationGracePeriodSeconds ?? 30;
    if (type.resource === 'pods' && grace > 0) {
      if (!current.metadata.deletionTimestamp) {
        current.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        current.metadata.deletionGracePeriodSeconds = grace;
        current.metadata.resourceVersion = String(++this.rv);
        this.emit(type, { type: 'MODIFIED', object: current });
      }
      return structuredClone(current);
    }
    this.objects.delete(key);
    current.metadata.resourceVersion = String(++this.rv);
    this.emit(type, { type: 'DELETED', object: current });
    return structuredClone(current);
  }

  subscribe(type: ResourceType, listener: (event: WatchEvent) => void): () => void {
    let set = this.listeners.get(type.resource);
    if (!set) {
      set = new Set();
      this.listeners.set(type.resource, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }
}
