// Why is a pod not ready? Pure reading of a Pod's status into problems a user can act on.
// The caller adds the last log lines of crashing containers (see wait.ts).
import type { KubeObject } from './types.ts';

export interface PodProblem {
  pod: string;
  container?: string;
  /** Kubernetes' reason: ErrImageNeverPull, CrashLoopBackOff, Unschedulable, Unhealthy ... */
  reason: string;
  message: string;
  /** it will not heal by waiting (an image that is not there, an invalid name, a failed Job pod) */
  fatal: boolean;
  /** the container's last log lines explain it: fetch them (previous instance when restarted) */
  logs?: { container: string; previous: boolean };
}

const IMAGE_FATAL = new Set(['ErrImageNeverPull', 'InvalidImageName']);
const IMAGE_RETRY = new Set(['ImagePullBackOff', 'ErrImagePull']);
// Pull errors that waiting will not fix: the registry has no such image, refuses the
// credentials, or does not exist. Timeouts, 5xx and rate limits may heal and wait for the timeout.
const PULL_DENIED = /unauthorized|authentication required|no basic auth credentials|denied|forbidden/i;
const PULL_MISSING = /manifest unknown|not found|name unknown|does not exist|no such host|invalid reference/i;

/** Whether a problem is about an image that is not there or cannot be pulled. */
export function isImageProblem(p: PodProblem): boolean {
  return IMAGE_FATAL.has(p.reason) || IMAGE_RETRY.has(p.reason);
}

function pullHint(image: string, message: string): string {
  const registry = /^([^/]+[.:][^/]*|localhost)\//.exec(image)?.[1] ?? 'docker.io';
  if (PULL_DENIED.test(message))
    return ` — the registry ${registry} refused the pull: give the pod an imagePullSecret (a kubernetes.io/dockerconfigjson Secret for ${registry}) or check its credentials`;
  if (/no such host/i.test(message))
    return ` — the cluster's nodes cannot resolve the registry ${registry}: push to a registry they reach, or fix the reference`;
  if (PULL_MISSING.test(message))
    return ` — ${registry} has no such image: push it (kloop build pushes when the kube context does not share the local Docker engine) or fix the reference`;
  return '';
}
const CONFIG_ERRORS = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

interface ContainerStatus {
  name: string;
  image?: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: string };
    terminated?: { exitCode?: number; reason?: string; message?: string };
  };
  lastState?: { terminated?: { exitCode?: number; reason?: string } };
}

function containerProblems(pod: KubeObject, status: ContainerStatus, init: boolean): PodProblem[] {
  const podName = pod.metadata.name ?? '';
  const label = `${init ? 'init container' : 'container'} ${status.name}`;
  const waitingState = status.state?.waiting;
  const reason = waitingState?.reason ?? '';
  const restartPolicy = pod.spec?.restartPolicy ?? 'Always';
  if (IMAGE_FATAL.has(reason) || IMAGE_RETRY.has(reason)) {
    const hint =
      reason === 'ErrImageNeverPull'
        ? 'the image is not in the node’s local image store and the pull policy is Never'
        : 'the image could not be pulled';
    const text = waitingState?.message ?? '';
    const definitive = IMAGE_RETRY.has(reason) && (PULL_DENIED.test(text) || PULL_MISSING.test(text));
    return [
      {
        pod: podName,
        container: status.name,
        reason,
        message: `${label}: image "${status.image ?? '?'}" not available (${reason}): ${text || hint}${definitive ? pullHint(status.image ?? '', text) : ''}`,
        fatal: IMAGE_FATAL.has(reason) || definitive,
      },
    ];
  }
  if (reason === 'CrashLoopBackOff') {
    const last = status.lastState?.terminated;
    return [
      {
        pod: podName,
        container: status.name,
        reason,
        message: `${label} keeps crashing (CrashLoopBackOff, restarted ${status.restartCount ?? 0} times${last ? `, last exit code ${last.exitCode ?? '?'}${last.reason ? ` ${last.reason}` : ''}` : ''})`,
        fatal: false,
        logs: { container: status.name, previous: (status.restartCount ?? 0) > 0 },
      },
    ];
  }
  if (CONFIG_ERRORS.has(reason)) {
    return [
      {
        pod: podName,
        container: status.name,
        reason,
        message: `${label}: ${reason}: ${waitingState?.message ?? ''}`.trim(),
        fatal: false,
      },
    ];
  }
  const terminated = status.state?.terminated;
  if (terminated && (terminated.exitCode ?? 0) !== 0) {
    const final = restartPolicy === 'Never' || (restartPolicy === 'OnFailure' && pod.status?.phase === 'Failed');
    return [
      {
        pod: podName,
        container: status.name,
        reason: terminated.reason ?? 'Error',
        message: `${label} exited with code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}`,
        fatal: final,
        logs: { container: status.name, previous: false },
      },
    ];
  }
  if (!init && status.state?.running && status.ready === false) {
    const spec = ((pod.spec?.containers ?? []) as Array<{ name: string; readinessProbe?: unknown }>).find(
      (c) => c.name === status.name,
    );
    if (spec?.readinessProbe)
      return [
        {
          pod: podName,
          container: status.name,
          reason: 'Unhealthy',
          message: `${label} is running but its readiness probe fails`,
          fatal: false,
        },
      ];
  }
  return [];
}

export function diagnosePod(pod: KubeObject): PodProblem[] {
  const podName = pod.metadata.name ?? '';
  const status = pod.status ?? {};
  if (pod.metadata.deletionTimestamp) return [];
  const problems: PodProblem[] = [];
  const scheduled = (
    (status.conditions ?? []) as Array<{ type?: string; status?: string; reason?: string; message?: string }>
  ).find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False') {
    problems.push({
      pod: podName,
      reason: scheduled.reason ?? 'Unschedulable',
      message: `pending: cannot be scheduled (${scheduled.reason ?? 'Unschedulable'}): ${scheduled.message ?? 'no reason given'}`,
      fatal: false,
    });
    return problems;
  }
  for (const s of (status.initContainerStatuses ?? []) as ContainerStatus[])
    problems.push(...containerProblems(pod, s, true));
  for (const s of (status.containerStatuses ?? []) as ContainerStatus[])
    problems.push(...containerProblems(pod, s, false));
  if (status.phase === 'Failed' && problems.length === 0)
    problems.push({
      pod: podName,
      reason: status.reason ?? 'Failed',
      message: `failed${status.message ? `: ${status.message}` : ''}`,
      fatal: true,
    });
  return problems;
}

/** Adds probe failures the kubelet reported as events (reason Unhealthy) to the problems. */
export function probeEventMessages(events: KubeObject[], pod: string): string[] {
  return events
    .filter((e) => e.reason === 'Unhealthy' && e.involvedObject?.name === pod)
    .map((e) => String(e.message ?? ''))
    .filter(Boolean)
    .slice(-3);
}

/** The last lines of a log, indented under the problem it explains. */
export function formatLogTail(text: string, lines = 10): string[] {
  const all = text.replace(/\n$/, '').split('\n');
  return all.slice(-lines).map((l) => `    │ ${l}`);
}
