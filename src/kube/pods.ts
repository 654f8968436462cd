// Which pod and container a dev target means: the workload's selector (or the target's
// labelSelector), the newest ready pod it selects, the named container. Empty and ambiguous
// matches are errors that list what was found.
import { KloopError } from '../errors.ts';
import { ApiError, type KubeClient } from './client.ts';
import type { KubeObject } from './types.ts';

const WORKLOADS: Record<string, { path: string; kind: string }> = {
  deployment: { path: '/apis/apps/v1/namespaces/{ns}/deployments/{name}', kind: 'Deployment' },
  statefulset: { path: '/apis/apps/v1/namespaces/{ns}/statefulsets/{name}', kind: 'StatefulSet' },
  daemonset: { path: '/apis/apps/v1/namespaces/{ns}/daemonsets/{name}', kind: 'DaemonSet' },
  replicaset: { path: '/apis/apps/v1/namespaces/{ns}/replicasets/{name}', kind: 'ReplicaSet' },
  job: { path: '/apis/batch/v1/namespaces/{ns}/jobs/{name}', kind: 'Job' },
};
const ALIASES: Record<string, string> = {
  deploy: 'deployment',
  deployments: 'deployment',
  sts: 'statefulset',
  statefulsets: 'statefulset',
  ds: 'daemonset',
  daemonsets: 'daemonset',
  rs: 'replicaset',
  replicasets: 'replicaset',
  jobs: 'job',
};

export interface TargetSpec {
  name: string;
  namespace: string;
  workload?: string;
  labelSelector?: Readonly<Record<string, string>>;
  container?: string;
}

/** The API path of a target's workload object, e.g. for dev patches. */
export function workloadPath(workload: string, namespace: string): { path: string; kind: string } {
  const [rawKind = '', name = ''] = workload.split('/');
  const key = ALIASES[rawKind.toLowerCase()] ?? rawKind.toLowerCase();
  const w = WORKLOADS[key];
  if (!w) {
    throw new KloopError(`workload "${workload}": kloop dev cannot select pods of a ${rawKind}`, {
      hint: `use one of ${Object.keys(WORKLOADS).join(', ')}, or a labelSelector`,
    });
  }
  return {
    path: w.path.replace('{ns}', encodeURIComponent(namespace)).replace('{name}', encodeURIComponent(name)),
    kind: w.kind,
  };
}

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export function selectorString(sel: Selector): string {
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** The label selector of the target's pods. */
export async function podSelector(client: KubeClient, target: TargetSpec): Promise<string> {
  if (target.labelSelector) return selectorString({ matchLabels: { ...target.labelSelector } });
  if (!target.workload) {
    throw new KloopError(`dev target "${target.name}" names neither a workload nor a labelSelector`, {
      hint: 'add workload: deployment/<name> or labelSelector: { app: <name> } to the target in kloop.yaml',
    });
  }
  const { path } = workloadPath(target.workload, target.namespace);
  let obj: KubeObject;
  try {
    obj = await client.request<KubeObject>({ path });
  } catch (error) {
    if (error instanceof ApiError && error.code === 404) {
      throw new KloopError(
        `dev target "${target.name}": ${target.workload} does not exist in namespace ${target.namespace}`,
        {
          hint: 'deploy the app first (kloop dev deploys it unless --skip-deploy), or fix workload: in kloop.yaml',
        },
      );
    }
    throw error;
  }
  const selector = selectorString((obj.spec?.selector ?? {}) as Selector);
  if (!selector) throw new KloopError(`dev target "${target.name}": ${target.workload} has no pod selector`);
  return selector;
}

function isReady(pod: KubeObject): boolean {
  return (
    pod.status?.phase === 'Running' &&
    Boolean(
      (pod.status?.conditions ?? []).find(
        (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
      ),
    )
  );
}

/** The workload a pod belongs to: its controller, with a ReplicaSet's template hash removed. */
function ownerOf(pod: KubeObject): string {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0];
  if (!owner) return `pod/${pod.metadata.name}`;
  const hash = pod.metadata.labels?.['pod-template-hash'];
  const name = hash && owner.name.endsWith(`-${hash}`) ? owner.name.slice(0, -hash.length - 1) : owner.name;
  return `${owner.kind === 'ReplicaSet' ? 'deployment' : owner.kind.toLowerCase()}/${name}`;
}

function describePod(pod: KubeObject): string {
  const phase = pod.metadata.deletionTimestamp ? 'Terminating' : (pod.status?.phase ?? 'Pending');
  return `${pod.metadata.name} (${phase}${isReady(pod) ? ', ready' : ''}, ${ownerOf(pod)})`;
}

/**
 * The pod to use among those the selector matched: the newest ready one. Returns null while none
 * is ready (the caller waits); throws when ready pods of different workloads match.
 */
export function choosePod(
  target: TargetSpec,
  pods: readonly KubeObject[],
  accept: (pod: KubeObject) => boolean = () => true,
  readyOnly = true,
): KubeObject | null {
  const live = pods.filter((p) => !p.metadata.deletionTimestamp && accept(p));
  // logs want a pod that is not ready too (a crash loop is when they matter most)
  const ready = live.filter(readyOnly ? isReady : (p) => p.status?.phase !== 'Pending' || isReady(p));
  if (!target.workload && ready.length > 1) {
    const owners = [...new Set(ready.map(ownerOf))];
    if (owners.length > 1) {
      throw new KloopError(
        `dev target "${target.name}": the labelSelector matches pods of ${owners.length} workloads`,
        {
          details: ready.map(describePod),
          hint: 'make the labelSelector specific to one workload, or use workload: <kind>/<name>',
        },
      );
    }
  }
  ready.sort((a, b) =>
    String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')),
  );
  return ready[0] ?? null;
}

export function describeNoPod(target: TargetSpec, selector: string, pods: readonly KubeObject[]): KloopError {
  return new KloopError(
    `dev target "${target.name}": no ready pod matches ${selector} in namespace ${target.namespace}`,
    {
      details: pods.length ? pods.map(describePod) : ['no pods match at all'],
      hint: pods.length
        ? 'see `kloop logs` or kubectl describe for why the pods are not ready'
        : 'is the app deployed?',
    },
  );
}

/** The container of the pod the target means. */
/** The named container, else the only one; undefined when neither (a pod or a pod template's list). */
export function findContainer<T extends { name: string }>(containers: readonly T[], name?: string): T | undefined {
  return name ? containers.find((c) => c.name === name) : containers.length === 1 ? containers[0] : undefined;
}

export function chooseContainer(target: TargetSpec, pod: KubeObject): string {
  const names: string[] = (pod.spec?.containers ?? []).map((c: { name: string }) => c.name);
  if (target.container) {
    if (names.includes(target.container)) return target.container;
    throw new KloopError(
      `dev target "${target.name}": pod ${pod.metadata.name} has no container "${target.container}"`,
      {
        hint: `its containers: ${names.join(', ')}`,
      },
    );
  }
  if (names.length === 1) return names[0]!;
  throw new KloopError(`dev target "${target.name}": pod ${pod.metadata.name} has ${names.length} containers`, {
    hint: `name one with container: in kloop.yaml (${names.join(', ')})`,
  });
}
