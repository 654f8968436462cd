// One pod on Docker: its sandbox container (the pod's network namespace), init containers in
// order, app containers with restarts and CrashLoopBackOff, probes, graceful termination, and
// the pod's status written back through the store whenever it changes.

import { isDeepStrictEqual } from 'node:util';
import type { Store } from '../contract.ts';
import {
  containerSpec,
  defaultPullPolicy,
  dockerName,
  LABEL_POD_UID,
  LABEL_ROLE,
  pauseSpec,
  uniqueSuffix,
} from './container-spec.ts';
import type { Engine } from './docker/engine.ts';
import { ConfigError, containerEnv } from './env.ts';
import { NODE_NAME, type RecordEvent } from './events.ts';
import { startProbes } from './probes.ts';
import { kubeTime, podStatus } from './status.ts';
import { type Container, type ContainerStateK8s, type ContainerStatus, PODS, type Pod } from './types.ts';
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

/** A container of the pod and the Docker instances that ran it. */
export interface ContainerRecord {
  container: Container;
  init: boolean;
  id?: string;
  previousId?: string;
  restartCount: number;
  state: ContainerStateK8s;
  lastState: ContainerStateK8s;
  ready: boolean;
  started: boolean;
  imageID: string;
  backoffMs: number;
  restartAt?: number;
  startedAtMs?: number;
  /** exited and will not run again */
  done: boolean;
  /** the last failure reported as an event, so a failure that persists is reported once */
  lastFailure?: string;
  probes?: { stop(): void };
}

const RESYNC_MS = 2000;

function terminatedReason(state: { OOMKilled: boolean; ExitCode: number }): string {
  if (state.OOMKilled) return 'OOMKilled';
  return state.ExitCode === 0 ? 'Completed' : 'Error';
}

export class PodWorker {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  pauseId?: string;
  podIP?: string;
  readonly records: ContainerRecord[];
  private readonly ctx: WorkerContext;
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
    const record = (container: Container, init: boolean): ContainerRecord => ({
      container,
      init,
      restartCount: 0,
      state: { waiting: { reason: init ? 'PodInitializing' : 'ContainerCreating' } },
      lastState: {},
      ready: false,
      started: false,
      imageID: '',
      backoffMs: 0,
      done: false,
    });
    this.records = [
      ...(pod.spec.initContainers ?? []).map((c) => record(c, true)),
      ...pod.spec.containers.map((c) => record(c, false)),
    ];
    if (this.records.some((r) => r.init)) {
      for (const r of this.records) if (!r.init) r.state = { waiting: { reason: 'PodInitializing' } };
    }
  }

  private event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, r?: ContainerRecord): void {
    this.ctx.recordEvent(pod, type, reason, message, r?.container.name);
  }

  /** A waiting failure (image, config): reported when it starts or changes, not on every sync. */
  private failure(pod: Pod, r: ContainerRecord, reason: string, message: string): void {
    r.state = { waiting: { reason, message } };
    if (r.lastFailure === `${reason}: ${message}`) return;
    r.lastFailure = `${reason}: ${message}`;
    this.event(pod, 'Warning', reason === 'ErrImageNeverPull' ? reason : 'Failed', message, r);
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
    const init = this.records.filter((r) => r.init);
    const pendingInit = init.find((r) => !(r.done && r.state.terminated?.exitCode === 0));
    if (pendingInit && !this.initFailed) await this.drive(pod, pendingInit, volumes);
    if (!init.some((r) => !(r.done && r.state.terminated?.exitCode === 0))) {
      for (const r of this.records) if (!r.init) await this.drive(pod, r, volumes);
    }
    this.writeStatus(this.current() ?? pod);
    await this.releaseFinishedSandbox();
    const waits = this.records.filter((r) => r.restartAt !== undefined).map((r) => r.restartAt! - Date.now());
    return Math.min(RESYNC_MS, ...waits);
  }

  /** The one mutable part of a pod's containers is the image: a new one restarts the container. */
  private followSpecChanges(pod: Pod): void {
    for (const r of this.records) {
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
    const main = this.records.filter((r) => !r.init);
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
    this.pauseId = id;
    const info = await this.ctx.engine.inspectContainer(id);
    this.podIP = info.NetworkSettings.Networks[this.ctx.network]?.IPAddress || undefined;
  }

  private restartWanted(pod: Pod, r: ContainerRecord, exitCode: number): boolean {
    const policy = pod.spec.restartPolicy ?? 'Always';
    if (r.init) return policy !== 'Never' && exitCode !== 0;
    if (policy === 'Always') return true;
    return policy === 'OnFailure' && exitCode !== 0;
  }

  private async drive(pod: Pod, r: ContainerRecord, volumes: Map<string, PreparedVolume>): Promise<void> {
    if (r.done || r.state.running) return;
    const terminated = r.state.terminated ?? (r.restartAt !== undefined ? r.lastState.terminated : undefined);
    if (r.id && terminated) {
      if (r.restartAt === undefined) {
        if (!this.restartWanted(pod, r, terminated.exitCode)) {
          r.done = true;
          if (r.init && terminated.exitCode !== 0) this.initFailed = true;
          return;
        }
        // Back-off as the kubelet does: the first restart is immediate, then 10s doubling to 5m;
        // a container that ran for twice the cap starts afresh.
        const ranMs = Date.now() - (r.startedAtMs ?? Date.now());
        if (ranMs > 2 * this.ctx.backoff.maxMs) r.backoffMs = 0;
        const delay = r.backoffMs;
        r.backoffMs = delay === 0 ? this.ctx.backoff.initialMs : Math.min(delay * 2, this.ctx.backoff.maxMs);
        r.restartAt = Date.now() + delay;
        r.lastState = { terminated };
        if (delay > 0) {
          this.event(
            pod,
            'Warning',
            'BackOff',
            `Back-off restarting failed container ${r.container.name} in pod ${this.name}_${this.namespace}(${this.uid})`,
            r,
          );
          const seconds = Math.round(delay / 100) / 10;
          r.state = {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: `back-off ${seconds}s restarting failed container=${r.container.name} pod=${this.name}_${this.namespace}(${this.uid})`,
            },
          };
        }
      }
      if (Date.now() < r.restartAt) return;
      await this.startInstance(pod, r, volumes, true);
      return;
    }
    if (!r.id || r.state.waiting) await this.startInstance(pod, r, volumes, !!r.id);
  }

  private async startInstance(
    pod: Pod,
    r: ContainerRecord,
    volumes: Map<string, PreparedVolume>,
    restart: boolean,
  ): Promise<void> {
    const { engine } = this.ctx;
    const image = r.container.image ?? '';
    const policy = r.container.imagePullPolicy ?? defaultPullPolicy(image);
    const found = image ? await engine.inspectImage(image) : undefined;
    if (!found) {
      if (policy === 'Always') {
        this.failure(
          pod,
          r,
          'ImagePullBackOff',
          `Back-off pulling image "${image}": the sandbox has no registry to pull from; build or load the image into the local Docker (docker build / docker load)`,
        );
      } else {
        this.failure(
          pod,
          r,
          'ErrImageNeverPull',
          `Container image "${image}" is not present in the local Docker and the sandbox cannot pull images; build or load it (docker build / docker load)`,
        );
      }
      return;
    }
    const podView = { ...pod, status: { ...pod.status, podIP: this.podIP, hostIP: this.ctx.hostIP } } as Pod;
    let env: Map<string, string>;
    let spec: ReturnType<typeof containerSpec>;
    try {
      env = containerEnv(this.ctx.store, podView, r.container);
      spec = containerSpec({
        pod,
        container: r.container,
        env,
        volumes,
        pauseId: this.pauseId!,
        labels: {
          ...this.ctx.labels,
          [LABEL_POD_UID]: this.uid,
          [LABEL_ROLE]: r.init ? 'init-container' : 'container',
          'io.kubernetes.container.name': r.container.name,
          'io.kubernetes.pod.name': this.name,
          'io.kubernetes.pod.namespace': this.namespace,
        },
      });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.failure(pod, r, 'CreateContainerConfigError', err.message);
      return;
    }
    const name = dockerName('k8s', r.container.name, this.name, this.namespace, this.uid.slice(0, 8));
    const id = await engine.createContainer(`${name}_${uniqueSuffix()}`, spec);
    if (this.finished) {
      await engine.removeContainer(id);
      return;
    }
    // Keep the instance before this one for `logs --previous`; older ones go.
    if (restart && r.id) {
      if (r.previousId) await engine.removeContainer(r.previousId);
      r.previousId = r.id;
      r.restartCount++;
    }
    r.id = id;
    r.restartAt = undefined;
    r.imageID = `docker://${found.Id}`;
    r.ready = false;
    r.started = false;
    r.lastFailure = undefined;
    this.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, r);
    this.event(pod, 'Normal', 'Created', `Created container ${r.container.name}`, r);
    try {
      await engine.startContainer(id);
    } catch (err) {
      this.event(pod, 'Warning', 'Failed', `Error: ${(err as Error).message.replace(/^docker [^:]+: \d+ /, '')}`, r);
      const now = kubeTime();
      r.state = {
        terminated: {
          exitCode: 128,
          reason: 'StartError',
          message: (err as Error).message.replace(/^docker [^:]+: \d+ /, ''),
          startedAt: now,
          finishedAt: now,
          containerID: `docker://${id}`,
        },
      };
      r.startedAtMs = Date.now();
      return;
    }
    const info = await engine.inspectContainer(id);
    r.startedAtMs = Date.now();
    r.state = { running: { startedAt: kubeTime(info.State.StartedAt) } };
    this.event(pod, 'Normal', 'Started', `Started container ${r.container.name}`, r);
    this.watchExit(r, id);
    if (!r.init) this.startProbes(pod, r, id);
  }

  private watchExit(r: ContainerRecord, id: string): void {
    const { engine } = this.ctx;
    engine
      .waitContainer(id)
      .then(() => engine.inspectContainer(id))
      .then((info) => {
        if (r.id !== id) return;
        r.probes?.stop();
        r.probes = undefined;
        r.ready = false;
        r.started = false;
        r.state = {
          terminated: {
            exitCode: info.State.ExitCode,
            reason: terminatedReason(info.State),
            startedAt: kubeTime(info.State.StartedAt),
            finishedAt: kubeTime(info.State.FinishedAt),
            containerID: `docker://${id}`,
          },
        };
        this.wake();
      })
      .catch(() => {
        // The container was removed (pod deleted or sandbox stopping): nothing to record.
      });
  }

  private startProbes(pod: Pod, r: ContainerRecord, id: string): void {
    if (!this.podIP) return;
    r.probes = startProbes(
      { engine: this.ctx.engine, containerId: id, podIP: this.podIP, container: r.container },
      {
        onReady: (ready, reason) => {
          if (r.id !== id || r.ready === ready) return;
          if (!ready) this.event(pod, 'Warning', 'Unhealthy', `Readiness probe failed: ${reason ?? ''}`, r);
          r.ready = ready && !!r.state.running;
          this.wake();
        },
        onStarted: () => {
          if (r.id !== id) return;
          r.started = true;
          this.wake();
        },
        onUnhealthy: (message) => {
          if (r.id !== id) return;
          this.event(pod, 'Warning', 'Unhealthy', message, r);
          this.event(
            pod,
            'Normal',
            'Killing',
            `Container ${r.container.name} failed ${message.split(' ')[0]!.toLowerCase()} probe, will be restarted`,
            r,
          );
          const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
          void this.ctx.engine.stopContainer(id, grace).catch(() => {});
        },
      },
    );
  }

  private statuses(init: boolean): ContainerStatus[] {
    return this.records
      .filter((r) => r.init === init)
      .map((r) => {
        const status: ContainerStatus = {
          name: r.container.name,
          state: r.state,
          lastState: r.lastState,
          ready: r.ready,
          restartCount: r.restartCount,
          image: r.container.image ?? '',
          imageID: r.imageID,
          started: r.init ? !!r.state.running : r.started,
        };
        if (r.id) status.containerID = `docker://${r.id}`;
        return status;
      });
  }

  private writeStatus(pod: Pod): void {
    const initStatuses = this.statuses(true);
    const status = podStatus(
      pod,
      {
        podIP: this.podIP,
        hostIP: this.ctx.hostIP,
        startTime: this.startTime,
        initStatuses,
        statuses: this.statuses(false),
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
