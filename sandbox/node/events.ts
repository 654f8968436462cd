// Events the kubelet reports about pods (Scheduled, Pulled, Created, Started, Killing, BackOff,
// Unhealthy, Failed ...), so `kubectl describe pod` and kloop's diagnosis see what happened.
// Repeats of the same event on the same object bump `count`, as the real event recorder does.

import { randomBytes } from 'node:crypto';
import type { KubeObject, Store } from '../contract.ts';
import { kubeTime } from './status.ts';
import type { Pod } from './types.ts';

export const EVENTS = { group: '', version: 'v1', resource: 'events' };
export const NODE_NAME = 'kloop-sandbox';

export type RecordEvent = (
  pod: Pod,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  container?: string,
) => void;

export function createEventRecorder(store: Store, log: (message: string) => void): RecordEvent {
  // (pod uid, reason, message) → the event's name, for aggregation
  const seen = new Map<string, string>();
  return (pod, type, reason, message, container) => {
    const namespace = pod.metadata.namespace ?? 'default';
    const key = `${pod.metadata.uid}/${container ?? ''}/${reason}/${message}`;
    const now = kubeTime();
    try {
      const existingName = seen.get(key);
      const existing = existingName ? store.get(EVENTS, namespace, existingName) : undefined;
      if (existing) {
        store.update(EVENTS, { ...existing, count: ((existing.count as number) ?? 1) + 1, lastTimestamp: now });
        return;
      }
      const name = `${pod.metadata.name}.${randomBytes(8).toString('hex')}`;
      const involved: Record<string, unknown> = {
        kind: 'Pod',
        namespace,
        name: pod.metadata.name,
        uid: pod.metadata.uid,
        apiVersion: 'v1',
      };
      if (container) {
        const init = pod.spec.initContainers?.some((c) => c.name === container);
        involved.fieldPath = `spec.${init ? 'initContainers' : 'containers'}{${container}}`;
      }
      const scheduler = reason === 'Scheduled';
      const event: KubeObject = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: involved,
        reason,
        message,
        source: scheduler ? { component: 'default-scheduler' } : { component: 'kubelet', host: NODE_NAME },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        type,
        eventTime: null,
        reportingComponent: scheduler ? 'default-scheduler' : 'kubelet',
        reportingInstance: scheduler ? '' : NODE_NAME,
      };
      store.create(EVENTS, event);
      seen.set(key, name);
    } catch (err) {
      // The pod's namespace may be terminating; an event is never worth failing the pod for.
      log(`event ${reason} for pod ${namespace}/${pod.metadata.name} not recorded: ${(err as Error).message}`);
    }
  };
}
