// The kubelet: one PodWorker per pod in the store, created on sight and told about changes.

import type { WatchEvent } from '../contract.ts';
import { PodWorker, type WorkerContext } from './pod-worker.ts';
import { PODS, type Pod } from './types.ts';

const RELIST_MS = 5000;

export function createKubelet(ctx: WorkerContext) {
  const workers = new Map<string, PodWorker>();
  let unsubscribe: (() => void) | undefined;
  let resync: NodeJS.Timeout | undefined;

  function key(pod: Pod): string {
    return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}/${pod.metadata.uid}`;
  }

  function observe(event: WatchEvent): void {
    const pod = event.object as Pod;
    const k = key(pod);
    let worker = workers.get(k);
    if (!worker && event.type !== 'DELETED') {
      if (!Array.isArray(pod.spec?.containers)) {
        ctx.log(`pod ${k}: no spec.containers, not run`);
        return;
      }
      worker = new PodWorker(ctx, pod, () => workers.delete(k));
      workers.set(k, worker);
    }
    if (!worker) return;
    const target = worker;
    // Store listeners are called while the store dispatches an event; a worker writing status
    // right away would deliver its MODIFIED to other watchers before this event. Act after it.
    queueMicrotask(() => (event.type === 'DELETED' ? target.remove() : target.wake()));
  }

  return {
    start(): void {
      unsubscribe = ctx.store.subscribe(PODS, observe);
      const relist = () => {
        for (const pod of ctx.store.list(PODS, undefined)) {
          if (!workers.has(key(pod as Pod))) observe({ type: 'ADDED', object: pod });
        }
      };
      relist();
      // Like the kubelet's periodic sync: a pod whose event was missed is still picked up.
      resync = setInterval(relist, RELIST_MS);
      resync.unref();
    },
    /** The worker running a pod (the current instance of that name). */
    worker(namespace: string, name: string, uid: string): PodWorker | undefined {
      return workers.get(`${namespace}/${name}/${uid}`);
    },
    async stop(): Promise<void> {
      unsubscribe?.();
      clearInterval(resync);
      await Promise.all([...workers.values()].map((w) => w.destroy()));
      workers.clear();
    },
  };
}

export type Kubelet = ReturnType<typeof createKubelet>;
