// Keeps track of the pod a dev target uses: a watch on the target's pods picks the newest ready
// one and reports every change (first pod, replacement, no pod while one restarts), so the
// reconcilers that depend on the pod can follow it.
import type { KubeClient } from './client.ts';
import type { KubeObject } from './types.ts';
import { type Watcher, watchCollection } from './watch.ts';
import type { PodRef } from './exec.ts';
import { chooseContainer, choosePod, describeNoPod, podSelector, type TargetSpec } from './pods.ts';

export interface TrackedPod extends PodRef {
  uid: string;
  /** every container of the pod (logs follow all of them) */
  containers: string[];
}

export class PodTracker {
  private readonly client: KubeClient;
  private readonly target: TargetSpec;
  private readonly onChange: (pod: TrackedPod | null, error?: Error) => void;
  /** pods the session can use, e.g. only those already carrying the dev patch */
  accept: (pod: KubeObject) => boolean = () => true;
  /** false: any started pod will do (logs) */
  readyOnly = true;
  private readonly byName = new Map<string, KubeObject>();
  /** told about every change of the matching pods (for the session's view of them) */
  onPods?: (pods: KubeObject[]) => void;
  private watcher: Watcher | null = null;
  private current: TrackedPod | null = null;
  private waiters: Array<(p: TrackedPod) => void> = [];
  selector = '';

  constructor(client: KubeClient, target: TargetSpec, onChange: (pod: TrackedPod | null, error?: Error) => void) {
    this.client = client;
    this.target = target;
    this.onChange = onChange;
  }

  get pod(): TrackedPod | null {
    return this.current;
  }

  async start(): Promise<void> {
    this.selector = await podSelector(this.client, this.target);
    this.watcher = watchCollection(
      this.client,
      `/api/v1/namespaces/${encodeURIComponent(this.target.namespace)}/pods`,
      {
        onList: (items) => {
          this.byName.clear();
          for (const p of items) this.byName.set(p.metadata.name!, p);
          this.recompute();
        },
        onEvent: (type, obj) => {
          if (type === 'DELETED') this.byName.delete(obj.metadata.name!);
          else this.byName.set(obj.metadata.name!, obj);
          this.recompute();
        },
        onError: (error) => this.onChange(null, error),
      },
      { labelSelector: this.selector, idleMs: 30_000 },
    );
  }

  /** Every pod the selector matches now. */
  get pods(): KubeObject[] {
    return [...this.byName.values()];
  }

  /** The current pod, waiting up to `ms` for one; the error lists what the selector matched. */
  async waitForPod(ms: number): Promise<TrackedPod> {
    if (this.current) return this.current;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(describeNoPod(this.target, this.selector, [...this.byName.values()]));
      }, ms);
      // the watch keeps the process alive while anyone waits; a waiter given up on (it lost a race
      // with a problem that ended the wait) must not keep it alive until its timeout
      timer.unref();
      const done = (p: TrackedPod) => {
        clearTimeout(timer);
        resolve(p);
      };
      this.waiters.push(done);
    });
  }

  stop(): void {
    this.watcher?.stop();
    this.watcher = null;
  }

  private recompute(): void {
    this.onPods?.([...this.byName.values()]);
    let chosen: KubeObject | null;
    let container: string;
    try {
      chosen = choosePod(this.target, [...this.byName.values()], this.accept, this.readyOnly);
      container = chosen ? chooseContainer(this.target, chosen) : '';
    } catch (error) {
      this.current = null;
      this.onChange(null, error as Error);
      return;
    }
    const uid = chosen?.metadata.uid ?? '';
    if ((this.current?.uid ?? '') === uid) return;
    this.current = chosen
      ? {
          namespace: this.target.namespace,
          pod: chosen.metadata.name!,
          uid,
          container,
          containers: (chosen.spec?.containers ?? []).map((c: { name: string }) => c.name),
        }
      : null;
    this.onChange(this.current);
    if (this.current) for (const w of this.waiters.splice(0)) w(this.current);
  }
}
