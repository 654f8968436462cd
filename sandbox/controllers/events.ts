// Events the controllers report (ScalingReplicaSet, SuccessfulCreate, Completed ...), so
// `kubectl describe` shows what happened; repeats bump `count`; kept for an hour, as by default.
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../contract.ts';
import type { MemoryStore } from '../store/store.ts';
import type { Controller } from './runtime.ts';

const EVENTS = { group: '', version: 'v1', resource: 'events' };
const TTL_MS = 3600_000;

export type Recorder = (object: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string) => void;

export function eventRecorder(store: MemoryStore, component: string): Recorder {
  const seen = new Map<string, string>();
  return (object, type, reason, message) => {
    const namespace = object.metadata.namespace ?? 'default';
    const key = `${object.metadata.uid}/${reason}/${message}`;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const existingName = seen.get(key);
    const existing = existingName ? store.get(EVENTS, namespace, existingName) : undefined;
    if (existing) {
      store.update(EVENTS, { ...existing, count: Number(existing.count ?? 1) + 1, lastTimestamp: now });
      return;
    }
    const name = `${object.metadata.name}.${randomBytes(8).toString('hex')}`;
    seen.set(key, name);
    store.create(EVENTS, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        kind: object.kind,
        namespace,
        name: object.metadata.name,
        uid: object.metadata.uid,
        apiVersion: object.apiVersion,
        resourceVersion: object.metadata.resourceVersion,
      },
      reason,
      message,
      source: { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: '',
    });
  };
}

/** Removes events whose last occurrence is older than an hour. */
export function eventReaper(store: MemoryStore): Controller {
  return {
    name: 'event-ttl',
    watches: [],
    reconcile() {
      const cutoff = Date.now() - TTL_MS;
      for (const event of store.list(EVENTS, undefined)) {
        const last = Date.parse(String(event.lastTimestamp ?? event.metadata.creationTimestamp));
        if (last < cutoff) store.delete(EVENTS, event.metadata.namespace, event.metadata.name!);
      }
    },
  };
}
