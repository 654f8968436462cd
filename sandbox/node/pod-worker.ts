// One pod on Docker: its sandbox container (the pod's network namespace), init containers in
// order then app containers (see containers.ts), graceful termination, and the pod's status
// written back through the store whenever it changes.

import { isDeepStrictEqual } from 'node:util';
import type { Store } from '../contract.ts';
import { dockerName, LABEL_POD_UID, pauseSpec, uniqueSuffix } from './container-spec.ts';
import { type ContainerRecord, containerStatuses, drive, newRecord, type PodHandle } from './containers.ts';
import type { Engine } from './docker/engine.ts';
import { ConfigError } from './env.ts';
import { NODE_NAME, type RecordEvent } from './events.ts';
import { kubeTime, podStatus } from './status.ts';
import { PODS, type Pod } from './types.ts';
import { type PreparedVolume, prepareVolumes, removePodVolumes } from './volumes.ts';

export interface WorkerContext {
  engine: Engine;
  store: Store;
  network: string;
  hostIP: string;
  /** host directory for volumes */
  root: string;
  labels: Record<string, string>;
  backoff: { initialMs: number; maxMs: number };
  log(message: string): void;
  recordEvent: RecordEvent;
}

const RESYNC_MS = 2000;

export class PodWorker implements PodHandle {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  pauseId?: string;
  podIP?: string;
  readonly records: ContainerRecord[];
  readonly ctx: WorkerContext;
  private readonly startTime: string;
  private gone = false;
  private terminating = false;
  private finished = false;
  private initFailed = false;
  private wakeTimer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private readonly onFinished: () => void;
  private scheduledReported = false;
  private sandboxStopped = false;
  private volumeFailure?: string;

  constructor(ctx: WorkerContext, pod: Pod, onFinished: () => void) {
    this.ctx = ctx;
    this.uid = pod.metadata.uid ?? '';
    this.namespace = pod.metadata.namespace ?? 'default';
    this.name = pod.metadata.name ?? '';
    this.startTime = pod.status?.startTime ?? kubeTime();
    this.onFinished = onFinished;
    this.records = [
      ...(pod.spec.initContainers ?? []).map((c) => newRecord(c, true)),
      ...pod.spec.containers.map((c) => newRecord(c, false)),
    ];
    if (this.records.some((r) => r.init)) {
      for (const r of this.records) if (!r.init) r.state = { waiting: { reason: 'PodInitializing' } };
    }
  }

  isFinished(): boolean {
    return this.finished;
  }

  event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, r?: ContainerRecord): void {
    this.ctx.recordEvent(pod, type, reason, message, r?.container.name);
  }

  record(name: string): ContainerRecord | undefined {
    return this.records.find((r) => r.container.name === name);
  }

  /** The pod changed in the store (or a container event happened): reconcile soon. */
  wake(): void {
    if (this.finished) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.wakeTimer);
    // Marked before the loop starts: its first synchronous steps write status, whose store
    // event calls wake() again, which must not start a second loop.
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
      if (this.again) this.wake();
    });
  }

  /** The pod is no longer in the store: stop its containers now. */
  remove(): void {
    this.gone = true;
    // A graceful stop in progress must not hold a force-deleted pod's containers.
    for (const r of this.records) if (r.id && r.state.running) void this.ctx.engine.killContainer(r.id).catch(() => {});
    this.wake();
  }

  /** Removes every container of the pod at once (sandbox shutdown). */
  async destroy(): Promise<void> {
    this.finished = true;
    clearTimeout(this.wakeTimer);
    await this.removeContainers();
  }

  private async loop(): Promise<void> {
    let next = RESYNC_MS;
    do {
      this.again = false;
      try {
        next = await this.sync();
      } catch (err) {
        this.ctx.log(`pod ${this.namespace}/${this.name}: ${(err as Error).message}`);
        next = RESYNC_MS;
      }
    } while (this.again && !this.finished);
    if (!this.finished) this.wakeTimer = setTimeout(() => this.wake(), Math.max(10, next));
  }

  private current(): Pod | undefined {
    const pod = this.ctx.store.get(PODS, this.namespace, this.name) as Pod | undefined;
    return pod && pod.metadata.uid === this.uid ? pod : undefined;
  }

  private async sync(): Promise<number> {
    const pod = this.current();
    if (this.gone || !pod) {
      await this.finish(false);
      return RESYNC_MS;
    }
    if (pod.metadata.deletionTimestamp) {
      await this.terminate(pod);
      return RESYNC_MS;
    }
    if (!this.scheduledReported) {
      this.scheduledReported = true;
      this.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${this.namespace}/${this.name} to ${NODE_NAME}`);
    }
    if (!this.pauseId) {
      this.writeStatus(pod);
      await this.startPause(pod);
      if (!this.pauseId) return RESYNC_MS;
    }
    let volumes: Map<string, PreparedVolume>;
    try {
      volumes = prepareVolumes(this.ctx.store, pod, this.ctx.root);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const r of this.records) {
        if (!r.id) r.state = { waiting: { reason: 'ContainerCreating', message: err.message } };
      }
      if (this.volumeFailure !== err.message) {
        this.volumeFailure = err.message;
        this.event(pod, 'Warning', 'FailedMount', err.message);
      }
      this.writeStatus(pod);
      return RESYNC_MS;
    }
    this.followSpecChanges(pod);
    this.addEphemeralContainers(pod);
    const init = this.records.filter((r) => r.init);
    const pendingInit = init.find((r) => !(r.done && r.state.terminated?.exitCode === 0));
    if (pendingInit && !this.initFailed) {
      if ((await drive(this, pod, pendingInit, volumes)) === 'init-failed') this.initFailed = true;
    }
    if (!init.some((r) => !(r.done && r.state.terminated?.exitCode === 0))) {
      for (const r of this.records) if (!r.init && !r.ephemeral) await drive(this, pod, r, volumes);
      for (const r of this.records) if (r.ephemeral) await drive(this, pod, r, volumes);
    }
    this.writeStatus(this.current() ?? pod);
    await this.releaseFinishedSandbox();
    const waits = this.records.filter((r) => r.restartAt !== undefined).map((r) => r.restartAt! - Date.now());
    return Math.min(RESYNC_MS, ...waits);
  }

  /** Ephemeral containers are only ever added (the API refuses changing or removing one). */
  private addEphemeralContainers(pod: Pod): void {
    for (const c of pod.spec.ephemeralContainers ?? []) {
      if (this.records.some((r) => r.ephemeral && r.container.name === c.name)) continue;
      const r = newRecord(c, false);
      r.ephemeral = true;
      this.records.push(r);
    }
  }

  /** The one mutable part of a pod's containers is the image: a new one restarts the container. */
  private followSpecChanges(pod: Pod): void {
    for (const r of this.records) {
      if (r.ephemeral) continue;
      const spec = (r.init ? pod.spec.initContainers : pod.spec.containers)?.find((c) => c.name === r.container.name);
      if (!spec || spec.image === r.container.image) continue;
      r.container = spec;
      if (r.id && r.state.running) {
        this.event(pod, 'Normal', 'Killing', `Container ${spec.name} definition changed, will be restarted`, r);
        const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
        void this.ctx.engine.stopContainer(r.id, grace).catch(() => {});
      }
    }
  }

  /** A pod whose containers all finished for good keeps its logs but not its sandbox process. */
  private async releaseFinishedSandbox(): Promise<void> {
    const main = this.records.filter((r) => !r.init && !r.ephemeral);
    const over = this.initFailed || main.every((r) => r.done);
    if (!over || !this.pauseId || this.sandboxStopped) return;
    this.sandboxStopped = true;
    await this.ctx.engine.stopContainer(this.pauseId, 0).catch(() => {});
  }

  private async startPause(pod: Pod): Promise<void> {
    const labels = { ...this.ctx.labels, [LABEL_POD_UID]: this.uid };
    const id = await this.ctx.engine.createContainer(
      dockerName('k8s', 'POD', this.name, this.namespace, this.uid.slice(0, 8), uniqueSuffix()),
      pauseSpec(pod, this.ctx.network, labels),
    );
    if (this.finished) {
      // The sandbox stopped (or the pod went) while Docker created it.
      await this.ctx.engine.removeContainer(id);
      return;
    }
    try {
      await this.ctx.engine.startContainer(id);
    } catch (err) {
      await this.ctx.engine.removeContainer(id);
      throw err;
    }
    // The address is there once start returns; ask again briefly rather than run without one.
    let ip: string | undefined;
    for (let attempt = 0; attempt < 20 && !ip; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 50));
      const info = await this.ctx.engine.inspectContainer(id);
      ip = info.NetworkSettings.Networks[this.ctx.network]?.IPAddress || undefined;
    }
    if (!ip) {
      await this.ctx.engine.removeContainer(id);
      throw new Error(`the pod's sandbox container got no address on Docker network ${this.ctx.network}`);
    }
    this.pauseId = id;
    this.podIP = ip;
  }

  private writeStatus(pod: Pod): void {
    const initStatuses = containerStatuses(this.records, true);
    const status = podStatus(
      pod,
      {
        podIP: this.podIP,
        hostIP: this.ctx.hostIP,
        startTime: this.startTime,
        initStatuses,
        statuses: containerStatuses(this.records, false),
        ephemeralStatuses: containerStatuses(this.records, false, true),
        initialized: initStatuses.every((s) => s.state.terminated?.exitCode === 0),
        restartPolicy: pod.spec.restartPolicy ?? 'Always',
        initFailed: this.initFailed,
      },
      kubeTime(),
    );
    const normal = JSON.parse(JSON.stringify(status));
    if (isDeepStrictEqual(normal, pod.status)) return;
    try {
      this.ctx.store.update(PODS, { ...pod, status: normal }, { subresource: 'status' });
    } catch (err) {
      this.ctx.log(`pod ${this.namespace}/${this.name}: status update failed: ${(err as Error).message}`);
    }
  }

  /** deletionTimestamp is set: SIGTERM, wait the grace period, SIGKILL, then remove the pod. */
  private async terminate(pod: Pod): Promise<void> {
    if (this.terminating) return;
    this.terminating = true;
    const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    for (const r of this.records) {
      r.probes?.stop();
      if (r.id && r.state.running) this.event(pod, 'Normal', 'Killing', `Stopping container ${r.container.name}`, r);
    }
    await Promise.all(
      this.records
        .filter((r) => r.id && r.state.running)
        .map((r) => this.ctx.engine.stopContainer(r.id!, grace).catch(() => {})),
    );
    await this.finish(true);
  }

  private async finish(deleteFromStore: boolean): Promise<void> {
    this.finished = true;
    await this.removeContainers();
    removePodVolumes(this.ctx.root, this.uid);
    if (deleteFromStore && this.current()) {
      try {
        this.ctx.store.delete(PODS, this.namespace, this.name, { gracePeriodSeconds: 0 });
      } catch (err) {
        this.ctx.log(`pod ${this.namespace}/${this.name}: delete failed: ${(err as Error).message}`);
      }
    }
    this.onFinished();
  }

  private async removeContainers(): Promise<void> {
    const ids: string[] = [];
    for (const r of this.records) {
      r.probes?.stop();
      if (r.id) ids.push(r.id);
      if (r.previousId) ids.push(r.previousId);
    }
    await Promise.all(ids.map((id) => this.ctx.engine.removeContainer(id).catch(() => {})));
    if (this.pauseId) await this.ctx.engine.removeContainer(this.pauseId).catch(() => {});
  }
}
