// Pod status from the kubelet's view of its containers: phase, conditions, container statuses,
// following the kubelet's rules (pkg/kubelet/kubelet_pods.go getPhase, status/generate.go).

import type { Container, ContainerStatus, Pod, PodCondition, PodStatus } from './types.ts';
import { parseBytes, parseCpu } from './env.ts';

export interface PodView {
  podIP?: string;
  hostIP?: string;
  startTime: string;
  initStatuses: ContainerStatus[];
  statuses: ContainerStatus[];
  ephemeralStatuses?: ContainerStatus[];
  /** every init container has completed successfully */
  initialized: boolean;
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  /** an init container failed and will not be retried */
  initFailed: boolean;
}

export function phaseOf(view: PodView): PodStatus['phase'] {
  if (view.initFailed) return 'Failed';
  if (!view.initialized) return 'Pending';
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let failed = 0;
  let succeeded = 0;
  for (const status of view.statuses) {
    if (status.state.running) running++;
    else if (status.state.terminated) {
      stopped++;
      if (status.state.terminated.exitCode === 0) succeeded++;
      else failed++;
    } else if (status.lastState.terminated) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped === 0) return 'Pending';
  if (view.restartPolicy === 'Always') return 'Running';
  if (view.restartPolicy === 'OnFailure') return failed > 0 || stopped !== succeeded ? 'Running' : 'Succeeded';
  return failed > 0 ? 'Failed' : 'Succeeded';
}

function condition(
  previous: PodCondition[] | undefined,
  type: string,
  ok: boolean,
  now: string,
  reason?: string,
  message?: string,
): PodCondition {
  const status = ok ? 'True' : 'False';
  const before = previous?.find((c) => c.type === type);
  const result: PodCondition = {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: before && before.status === status ? before.lastTransitionTime : now,
  };
  if (!ok && reason) result.reason = reason;
  if (!ok && message) result.message = message;
  return result;
}

export function qosClass(containers: Container[]): string {
  let any = false;
  let guaranteed = true;
  for (const container of containers) {
    const limits = container.resources?.limits ?? {};
    const requests = { ...limits, ...(container.resources?.requests ?? {}) };
    for (const resource of ['cpu', 'memory']) {
      const limit = limits[resource];
      const request = requests[resource];
      if (limit !== undefined || request !== undefined) any = true;
      if (limit === undefined || request === undefined) {
        guaranteed = false;
        continue;
      }
      const same =
        resource === 'cpu' ? parseCpu(limit) === parseCpu(request) : parseBytes(limit) === parseBytes(request);
      if (!same) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function podStatus(pod: Pod, view: PodView, now: string): PodStatus {
  const previous = pod.status?.conditions;
  const phase = phaseOf(view);
  const unready = view.statuses.filter((s) => !s.ready).map((s) => s.name);
  const incomplete = view.initStatuses.filter((s) => s.state.terminated?.exitCode !== 0).map((s) => s.name);
  // A pod that finished has no ready containers but its init containers did complete.
  const containersReady = unready.length === 0;
  const status: PodStatus = {
    phase,
    conditions: [
      // The pod's sandbox (network namespace) exists: kubelet 1.29+ reports this first.
      condition(previous, 'PodReadyToStartContainers', !!view.podIP, now),
      condition(
        previous,
        'Initialized',
        view.initialized,
        now,
        'ContainersNotInitialized',
        `containers with incomplete status: [${incomplete.join(' ')}]`,
      ),
      condition(
        previous,
        'Ready',
        containersReady,
        now,
        phase === 'Succeeded' || phase === 'Failed' ? 'PodCompleted' : 'ContainersNotReady',
        phase === 'Succeeded' || phase === 'Failed'
          ? undefined
          : `containers with unready status: [${unready.join(' ')}]`,
      ),
      condition(
        previous,
        'ContainersReady',
        containersReady,
        now,
        phase === 'Succeeded' || phase === 'Failed' ? 'PodCompleted' : 'ContainersNotReady',
        phase === 'Succeeded' || phase === 'Failed'
          ? undefined
          : `containers with unready status: [${unready.join(' ')}]`,
      ),
      condition(previous, 'PodScheduled', true, now),
    ],
    containerStatuses: view.statuses,
    qosClass: qosClass([...(pod.spec.initContainers ?? []), ...pod.spec.containers]),
    startTime: view.startTime,
  };
  if (view.initStatuses.length > 0) status.initContainerStatuses = view.initStatuses;
  if (view.ephemeralStatuses?.length) status.ephemeralContainerStatuses = view.ephemeralStatuses;
  if (view.hostIP) {
    status.hostIP = view.hostIP;
    status.hostIPs = [{ ip: view.hostIP }];
  }
  if (view.podIP) {
    status.podIP = view.podIP;
    status.podIPs = [{ ip: view.podIP }];
  }
  return status;
}

/** Kubernetes timestamps: RFC 3339 with second precision. */
export function kubeTime(date: Date | string = new Date()): string {
  return new Date(date).toISOString().replace(/\.\d+Z$/, 'Z');
}
