// One dev target in a session: the pod tracker and the reconcilers that depend on its pod (sync,
// port-forwards, logs, reload). When the pod is replaced they follow it: sync reconnects and
// resyncs (edits made meanwhile included), forwards point new connections at the new pod, logs
// follow the new pod from its start.
import path from 'node:path';
import type { ResolvedDevTarget } from '../config/project.ts';
import { KloopError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { diagnosePod, type PodProblem } from '../kube/diagnose.ts';
import { podLogTail } from '../kube/wait.ts';
import { execConnector } from '../kube/exec.ts';
import type { Dialer } from '../kube/streams.ts';
import type { SessionAction } from './actions.ts';
import { LogFollower } from './logs.ts';
import { PodTracker, type TrackedPod } from '../kube/pod-tracker.ts';
import { findContainer } from '../kube/pods.ts';
import { PortForwarder, parsePort } from './port-forward.ts';
import { Reloader, RESTART_MARK } from './reload.ts';
import type { KubeObject } from '../kube/types.ts';
import type { PodSummary } from './state.ts';
import type { SessionStore } from './store.ts';
import { type AppliedBatch, SyncEngine } from './sync/engine.ts';

export interface TargetSessionOptions {
  client: KubeClient;
  /** exec and port-forward WebSockets */
  dialer: Dialer;
  /** the project root: sync from: paths are relative to it */
  root: string;
  target: ResolvedDevTarget;
  /** where the target reports: pods, syncs, ports, reload, logs (lines included), rebuild requests */
  store: SessionStore;
  /** how long to wait for a ready pod at start (ms) */
  podTimeoutMs?: number;
  /** lines of log history for the first pod */
  tailLines?: number;
  /** pods the session may use (e.g. only those already under the debugger) */
  acceptPod?: (pod: KubeObject) => boolean;
}

export class TargetSession {
  private readonly o: TargetSessionOptions;
  private readonly tracker: PodTracker;
  private readonly engines: SyncEngine[] = [];
  private readonly forwards: PortForwarder[] = [];
  private readonly logs: LogFollower;
  private readonly reloader: Reloader | null;
  private started = false;

  constructor(options: TargetSessionOptions) {
    this.o = options;
    const t = options.target;
    this.tracker = new PodTracker(options.client, t, (pod, error) => this.onPod(pod, error));
    let lastPods = '';
    this.tracker.onPods = (pods) => {
      const summaries = summarizePods(pods);
      const text = JSON.stringify(summaries);
      if (text === lastPods) return;
      lastPods = text;
      this.dispatch({ type: 'pod-status', target: t.name, pods: summaries });
    };
    // With the restart loop patched in, pods of the old template (still rolling out) are no use.
    const restartLoop = t.onSync === 'restart' ? (pod: KubeObject) => hasRestartLoop(pod, t.container) : undefined;
    const extra = options.acceptPod;
    if (restartLoop || extra) this.tracker.accept = (pod) => (restartLoop?.(pod) ?? true) && (extra?.(pod) ?? true);
    this.logs = new LogFollower(
      options.client,
      t.name,
      (line) => this.dispatch({ type: 'log', line }),
      (state, lines) => this.dispatch({ type: 'log-stream', target: t.name, state, lines }),
    );
    this.reloader = t.onSync
      ? new Reloader(
          options.dialer,
          t.onSync,
          () => this.tracker.pod,
          (status) => this.dispatch({ type: 'reload', target: t.name, reload: { ...status } }),
        )
      : null;
  }

  private dispatch(action: SessionAction): void {
    this.o.store.dispatch(action);
  }

  /** Finds the pod, opens the port-forwards, runs the initial syncs and starts the logs. */
  async start(): Promise<void> {
    const t = this.o.target;
    await this.tracker.start();
    const pod = await this.waitForStartingPod();
    for (const spec of t.ports ?? []) {
      const pf = new PortForwarder(this.o.dialer, t.name, parsePort(spec), (status) =>
        this.dispatch({ type: 'port', target: t.name, port: { ...status } }),
      );
      pf.setPod(pod);
      this.forwards.push(pf);
      await pf.start();
    }
    for (const [i, sync] of (t.sync ?? []).entries()) {
      const engine = new SyncEngine({
        from: path.resolve(this.o.root, sync.from),
        to: sync.to,
        exclude: sync.exclude,
        download: sync.download,
        rebuild: t.rebuild,
        connect: async () => execConnector(this.o.dialer, await this.tracker.waitForPod(60_000)),
        // the engine keeps its status object and changes it: the store gets a copy
        onStatus: (status) =>
          this.dispatch({ type: 'sync', target: t.name, index: i, status: structuredClone(status) }),
        onBatch: (batch) => this.afterBatch(batch),
        onRebuild: (paths) => this.dispatch({ type: 'rebuild', target: t.name, paths }),
      });
      this.engines.push(engine);
      await engine.start();
    }
    void this.logs.follow(pod, pod.containers, { tailLines: this.o.tailLines ?? 10 });
    this.started = true;
    this.dispatch({ type: 'target-phase', target: t.name, phase: 'running' });
  }

  /**
   * The first pod to work with. A pod of the session's template that cannot start (keeps crashing,
   * its image cannot be had: often what the dev patch runs, e.g. a debugger missing from the image)
   * ends the wait at once with its problem and last log lines, instead of at the timeout.
   */
  private async waitForStartingPod(): Promise<TrackedPod> {
    const t = this.o.target;
    let watch: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      let checking = false;
      watch = setInterval(async () => {
        if (checking || this.tracker.pod) return;
        checking = true;
        try {
          const pods = this.tracker.pods.filter((p) => !p.metadata.deletionTimestamp && this.tracker.accept(p));
          const newest = pods.sort((a, b) =>
            String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')),
          )[0];
          const problem = newest ? diagnosePod(newest).find(cannotStart) : undefined;
          if (!newest || !problem) return;
          const logs = await podLogTail(this.o.client, newest, problem);
          reject(
            new KloopError(`dev target "${t.name}": ${problem.message}`, {
              details: logs,
              hint: `kloop logs ${t.name} --previous shows more; what the session patched is restored when kloop dev ends`,
            }),
          );
        } finally {
          checking = false;
        }
      }, 1_000);
      // a session stopped while it waits must be able to exit
      watch.unref();
    });
    try {
      return await Promise.race([this.tracker.waitForPod(this.o.podTimeoutMs ?? 120_000), stuck]);
    } finally {
      clearInterval(watch);
    }
  }

  private afterBatch(batch: AppliedBatch): void {
    if (!this.reloader) return;
    if (batch.uploaded.length === 0 && batch.deleted.length === 0) return;
    this.reloader.trigger();
  }

  private onPod(pod: TrackedPod | null, error?: Error): void {
    this.dispatch({
      type: 'pod',
      target: this.o.target.name,
      started: this.started,
      ...(pod ? { pod: { name: pod.pod, container: pod.container } } : error ? { error: error.message } : {}),
    });
    for (const pf of this.forwards) pf.setPod(pod);
    if (!this.started) return;
    if (pod) {
      // The old pod's streams die with it; a new stream also resyncs what changed meanwhile.
      for (const e of this.engines) e.reconnect();
      void this.logs.follow(pod, pod.containers);
    } else void this.logs.follow(null, []);
  }

  /** Runs the target's onSync reload now (the dashboard's restart action). */
  reload(): void {
    if (!this.reloader) throw new KloopError(`dev target "${this.o.target.name}" has no onSync: nothing to restart`);
    this.reloader.trigger();
  }

  /** Drops and re-establishes every stream (after a laptop sleep). */
  reconnect(): void {
    for (const e of this.engines) e.reconnect();
    const pod = this.tracker.pod;
    if (pod) void this.logs.follow(pod, pod.containers);
  }

  /** Waits until every sync is idle (tests, the benchmark). */
  async idle(): Promise<void> {
    for (const e of this.engines) await e.idle();
  }

  get pod(): TrackedPod | null {
    return this.tracker.pod;
  }

  async stop(): Promise<void> {
    this.tracker.stop();
    this.logs.stop();
    await Promise.all([...this.engines.map((e) => e.stop()), ...this.forwards.map((f) => f.close())]);
    this.dispatch({ type: 'target-phase', target: this.o.target.name, phase: 'stopped' });
  }
}

/** Problems that waiting does not fix: a crash loop that has restarted twice, a fatal one. */
function cannotStart(p: PodProblem): boolean {
  return p.fatal || (p.reason === 'CrashLoopBackOff' && /restarted ([2-9]|\d{2,}) times/.test(p.message));
}

function hasRestartLoop(pod: KubeObject, container?: string): boolean {
  const containers: Array<{ name: string; command?: string[] }> = pod.spec?.containers ?? [];
  const c = findContainer(containers, container);
  return c?.command?.[3] === RESTART_MARK;
}

/** What the session shows of its pods: phase, readiness, restarts and the first problem, newest first. */
export function summarizePods(pods: readonly KubeObject[]): PodSummary[] {
  return [...pods]
    .filter((p) => !p.metadata.deletionTimestamp)
    .sort((a, b) =>
      String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')),
    )
    .map((p) => {
      const statuses = (p.status?.containerStatuses ?? []) as Array<{ ready?: boolean; restartCount?: number }>;
      const problem = diagnosePod(p)[0];
      return {
        name: p.metadata.name ?? '',
        phase: p.status?.phase,
        ready: statuses.length > 0 && statuses.every((c) => c.ready),
        restarts: statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0),
        ...(problem ? { reason: problem.reason } : {}),
      };
    });
}
