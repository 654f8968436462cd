// One container of a pod through its Docker instances: image check, create and start, exit
// watching, probes, and the kubelet's restart rules with CrashLoopBackOff back-off.

import { containerSpec, dockerName, fullImageName, LABEL_POD_UID, LABEL_ROLE, uniqueSuffix } from './container-spec.ts';
import type { ImageInspect } from './docker/engine.ts';
import { ConfigError, containerEnv } from './env.ts';
import { type PullBackoff, pullCredentials, pullDecision, pullWithCredentials } from './images.ts';
import type { WorkerContext } from './pod-worker.ts';
import { startProbes } from './probes.ts';
import { kubeTime } from './status.ts';
import type { Container, ContainerStateK8s, ContainerStatus, Pod } from './types.ts';
import type { PreparedVolume } from './volumes.ts';

/** What a container needs from the pod worker that runs it. */
export interface PodHandle {
  readonly ctx: WorkerContext;
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly pauseId?: string;
  readonly podIP?: string;
  isFinished(): boolean;
  record(name: string): ContainerRecord | undefined;
  wake(): void;
  event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, r?: ContainerRecord): void;
}

/** A container of the pod and the Docker instances that ran it. */
export interface ContainerRecord {
  container: Container;
  init: boolean;
  /** an ephemeral container (`kubectl debug`): runs once, never restarted, no probes */
  ephemeral?: boolean;
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
  /** pull back-off for the image that failed to pull */
  pullBackoff?: PullBackoff & { image: string };
  probes?: { stop(): void };
}

export function newRecord(container: Container, init: boolean): ContainerRecord {
  return {
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
  };
}

function terminatedReason(state: { OOMKilled: boolean; ExitCode: number }): string {
  if (state.OOMKilled) return 'OOMKilled';
  return state.ExitCode === 0 ? 'Completed' : 'Error';
}

/** A waiting failure (image, config): reported when it starts or changes, not on every sync. */
function failure(w: PodHandle, pod: Pod, r: ContainerRecord, reason: string, message: string): void {
  r.state = { waiting: { reason, message } };
  if (r.lastFailure === `${reason}: ${message}`) return;
  r.lastFailure = `${reason}: ${message}`;
  w.event(pod, 'Warning', reason === 'ErrImageNeverPull' ? reason : 'Failed', message, r);
}

function restartWanted(pod: Pod, r: ContainerRecord, exitCode: number): boolean {
  if (r.ephemeral) return false;
  const policy = pod.spec.restartPolicy ?? 'Always';
  if (r.init) return policy !== 'Never' && exitCode !== 0;
  if (policy === 'Always') return true;
  return policy === 'OnFailure' && exitCode !== 0;
}

/**
 * Starts, restarts (with back-off) or retires one container; 'init-failed' when a failed init
 * container will not be retried.
 */
export async function drive(
  w: PodHandle,
  pod: Pod,
  r: ContainerRecord,
  volumes: Map<string, PreparedVolume>,
): Promise<'init-failed' | undefined> {
  if (r.done || r.state.running) return undefined;
  const terminated = r.state.terminated ?? (r.restartAt !== undefined ? r.lastState.terminated : undefined);
  if (r.id && terminated) {
    if (r.restartAt === undefined) {
      if (!restartWanted(pod, r, terminated.exitCode)) {
        r.done = true;
        return r.init && terminated.exitCode !== 0 ? 'init-failed' : undefined;
      }
      // Back-off as the kubelet does: the first restart is immediate, then 10s doubling to 5m;
      // a container that ran for twice the cap starts afresh.
      const ranMs = Date.now() - (r.startedAtMs ?? Date.now());
      if (ranMs > 2 * w.ctx.backoff.maxMs) r.backoffMs = 0;
      const delay = r.backoffMs;
      r.backoffMs = delay === 0 ? w.ctx.backoff.initialMs : Math.min(delay * 2, w.ctx.backoff.maxMs);
      r.restartAt = Date.now() + delay;
      r.lastState = { terminated };
      if (delay > 0) {
        w.event(
          pod,
          'Warning',
          'BackOff',
          `Back-off restarting failed container ${r.container.name} in pod ${w.name}_${w.namespace}(${w.uid})`,
          r,
        );
        const seconds = Math.round(delay / 100) / 10;
        r.state = {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${seconds}s restarting failed container=${r.container.name} pod=${w.name}_${w.namespace}(${w.uid})`,
          },
        };
      }
    }
    if (Date.now() < r.restartAt) return undefined;
    await startInstance(w, pod, r, volumes, true);
    return undefined;
  }
  if (!r.id || r.state.waiting) await startInstance(w, pod, r, volumes, !!r.id);
  return undefined;
}

async function startInstance(
  w: PodHandle,
  pod: Pod,
  r: ContainerRecord,
  volumes: Map<string, PreparedVolume>,
  restart: boolean,
): Promise<void> {
  const { engine } = w.ctx;
  const image = r.container.image ?? '';
  const found = image ? await engine.inspectImage(image) : undefined;
  const decision = pullDecision(r.container.imagePullPolicy, image, found);
  if (decision.kind === 'never') {
    failure(w, pod, r, 'ErrImageNeverPull', `Container image "${image}" is not present with pull policy of Never`);
    return;
  }
  let inspected: ImageInspect;
  let pulledMessage = `Container image "${image}" already present on machine`;
  if (decision.kind === 'present') inspected = decision.image;
  else {
    const pulled = await pull(w, pod, r, image);
    if (!pulled) return;
    ({ image: inspected, message: pulledMessage } = pulled);
  }
  const podView = { ...pod, status: { ...pod.status, podIP: w.podIP, hostIP: w.ctx.hostIP } } as Pod;
  let env: Map<string, string>;
  let spec: ReturnType<typeof containerSpec>;
  try {
    env = containerEnv(w.ctx.store, podView, r.container);
    spec = containerSpec({
      pod,
      container: r.container,
      env,
      volumes,
      pauseId: w.pauseId!,
      // an ephemeral container sees its target's processes, as with shareProcessNamespace
      pidTarget:
        r.ephemeral && r.container.targetContainerName ? w.record(r.container.targetContainerName)?.id : undefined,
      labels: {
        ...w.ctx.labels,
        [LABEL_POD_UID]: w.uid,
        [LABEL_ROLE]: r.init ? 'init-container' : r.ephemeral ? 'ephemeral-container' : 'container',
        'io.kubernetes.container.name': r.container.name,
        'io.kubernetes.pod.name': w.name,
        'io.kubernetes.pod.namespace': w.namespace,
      },
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    failure(w, pod, r, 'CreateContainerConfigError', err.message);
    return;
  }
  const name = dockerName('k8s', r.container.name, w.name, w.namespace, w.uid.slice(0, 8));
  const id = await engine.createContainer(`${name}_${uniqueSuffix()}`, spec);
  if (w.isFinished()) {
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
  r.imageID = imageID(image, inspected);
  r.ready = false;
  r.started = false;
  r.lastFailure = undefined;
  w.event(pod, 'Normal', 'Pulled', pulledMessage, r);
  w.event(pod, 'Normal', 'Created', `Created container ${r.container.name}`, r);
  try {
    await engine.startContainer(id);
  } catch (err) {
    w.event(pod, 'Warning', 'Failed', `Error: ${(err as Error).message.replace(/^docker [^:]+: \d+ /, '')}`, r);
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
  w.event(pod, 'Normal', 'Started', `Started container ${r.container.name}`, r);
  watchExit(w, r, id);
  if (!r.init && !r.ephemeral) attachProbes(w, pod, r, id);
}

/**
 * One pull attempt, or the back-off after a failed one: ErrImagePull on failure, ImagePullBackOff
 * while waiting to retry (10 s doubling to 5 min, or the sandbox's back-off setting).
 */
async function pull(
  w: PodHandle,
  pod: Pod,
  r: ContainerRecord,
  image: string,
): Promise<{ image: ImageInspect; message: string } | undefined> {
  const previous = r.pullBackoff?.image === image ? r.pullBackoff : undefined;
  if (previous && Date.now() < previous.retryAt) {
    // ErrImagePull stays until the kubelet's next look, then the back-off shows
    if (Date.now() < previous.backoffAt) return undefined;
    if (r.state.waiting?.reason !== 'ImagePullBackOff') {
      w.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`, r);
      w.event(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', r);
    }
    r.state = {
      waiting: {
        reason: 'ImagePullBackOff',
        message: `Back-off pulling image "${image}": ErrImagePull: ${previous.error}`,
      },
    };
    return undefined;
  }
  const { auths, missing } = pullCredentials(w.ctx.store, pod, image);
  if (missing.length) {
    w.event(
      pod,
      'Warning',
      'FailedToRetrieveImagePullSecret',
      `Unable to retrieve some image pull secrets (${missing.join(', ')}); attempting to pull the image may not succeed.`,
    );
  }
  w.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, r);
  const started = Date.now();
  let error = await pullWithCredentials(w.ctx.engine, image, auths);
  const inspected = error ? undefined : await w.ctx.engine.inspectImage(image);
  if (!error && !inspected) error = `the image "${image}" is not in the local Docker after its pull`;
  if (error || !inspected) {
    const { initialMs, maxMs } = w.ctx.backoff;
    const delayMs = previous ? Math.min(previous.delayMs * 2, maxMs) : initialMs;
    const now = Date.now();
    const backoffAt = now + Math.min(delayMs / 2, 2000);
    r.pullBackoff = { image, backoffAt, retryAt: now + delayMs, delayMs, error: error ?? '' };
    for (const at of [backoffAt, now + delayMs]) setTimeout(() => w.wake(), at - now).unref();
    w.event(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${error}`, r);
    w.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull', r);
    r.state = { waiting: { reason: 'ErrImagePull', message: error ?? '' } };
    return undefined;
  }
  r.pullBackoff = undefined;
  const seconds = `${((Date.now() - started) / 1000).toFixed(3)}s`;
  return {
    image: inspected,
    message: `Successfully pulled image "${image}" in ${seconds} (${seconds} including waiting). Image size: ${inspected.Size ?? 0} bytes.`,
  };
}

/** As the kubelet on Docker reports it: the repository digest when the image came from a registry. */
function imageID(image: string, inspected: ImageInspect): string {
  const repository = fullImageName(image)
    .replace(/@.*$/, '')
    .replace(/:[^/:]+$/, '');
  const digest = inspected.RepoDigests?.find((d) => fullImageName(d).startsWith(`${repository}@`));
  return digest ? `docker-pullable://${digest}` : `docker://${inspected.Id}`;
}

function watchExit(w: PodHandle, r: ContainerRecord, id: string): void {
  const { engine } = w.ctx;
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
      w.wake();
    })
    .catch(() => {
      // The container was removed (pod deleted or sandbox stopping): nothing to record.
    });
}

function attachProbes(w: PodHandle, pod: Pod, r: ContainerRecord, id: string): void {
  r.probes = startProbes(
    { engine: w.ctx.engine, containerId: id, podIP: w.podIP ?? '', container: r.container },
    {
      onReady: (ready, reason) => {
        if (r.id !== id || r.ready === ready) return;
        if (!ready) w.event(pod, 'Warning', 'Unhealthy', `Readiness probe failed: ${reason ?? ''}`, r);
        r.ready = ready && !!r.state.running;
        w.wake();
      },
      onStarted: () => {
        if (r.id !== id) return;
        r.started = true;
        w.wake();
      },
      onUnhealthy: (message) => {
        if (r.id !== id) return;
        w.event(pod, 'Warning', 'Unhealthy', message, r);
        w.event(
          pod,
          'Normal',
          'Killing',
          `Container ${r.container.name} failed ${message.split(' ')[0]!.toLowerCase()} probe, will be restarted`,
          r,
        );
        const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
        void w.ctx.engine.stopContainer(id, grace).catch(() => {});
      },
    },
  );
}

export function containerStatuses(records: ContainerRecord[], init: boolean, ephemeral = false): ContainerStatus[] {
  return records
    .filter((r) => r.init === init && !!r.ephemeral === ephemeral)
    .map((r) => {
      const status: ContainerStatus = {
        name: r.container.name,
        state: r.state,
        lastState: r.lastState,
        ready: r.ready,
        restartCount: r.restartCount,
        // As the kubelet: the runtime's full reference once an instance exists, else the spec's.
        image: r.id ? fullImageName(r.container.image ?? '') : (r.container.image ?? ''),
        imageID: r.imageID,
        started: r.init ? !!r.state.running : r.started,
      };
      if (r.id) status.containerID = `docker://${r.id}`;
      return status;
    });
}
