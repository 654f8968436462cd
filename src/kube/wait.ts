// Waiting on the cluster, by watch (never by polling): until applied objects are ready, or until
// deleted objects are gone. A readiness failure says why per object, from its pods' status, the
// crashing containers' last log lines and probe-failure events.
import { KloopError } from '../errors.ts';
import { isNotFound, type KubeClient } from './client.ts';
import { diagnosePod, formatLogTail, isImageProblem, type PodProblem, probeEventMessages } from './diagnose.ts';
import type { RestMapper } from './discovery.ts';
import { hasPods, hasReadinessRule, readiness } from './readiness.ts';
import { describeRef, type KubeObject, type ObjectRef, refOf } from './types.ts';
import { watchCollection, type Watcher } from './watch.ts';

export interface WaitFailure {
  ref: ObjectRef;
  /** the object's own state: "0 of 1 updated replicas available" */
  message: string;
  /** one line per pod problem, with log lines under crashes */
  details: string[];
}

export interface WaitOptions {
  timeoutMs: number;
  /**
   * How long an object must stay ready, with no pod problems, before it counts as ready: a
   * container that exits right after starting is briefly "available". Default 2 s; 0 for objects
   * that were not changed.
   */
  settleMs?: number;
  /** called whenever an object's state changes */
  onProgress?: (ref: ObjectRef, message: string, ready: boolean) => void;
}

function selectorOf(obj: KubeObject): string | undefined {
  const labels = obj.spec?.selector?.matchLabels as Record<string, string> | undefined;
  if (!labels || Object.keys(labels).length === 0) return undefined;
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export async function podLogTail(client: KubeClient, pod: KubeObject, problem: PodProblem): Promise<string[]> {
  if (!problem.logs) return [];
  const path = `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace ?? '')}/pods/${encodeURIComponent(pod.metadata.name ?? '')}/log`;
  for (const previous of problem.logs.previous ? [true, false] : [false]) {
    try {
      const res = await client.stream({
        path,
        query: { container: problem.logs.container, tailLines: 10, previous: previous ? 'true' : undefined },
        accept: '*/*',
        timeout: 10_000,
      });
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim())
        return [`    last log lines of ${problem.pod}/${problem.logs.container}:`, ...formatLogTail(text)];
    } catch {
      // no log (yet) for this instance: try the current one
    }
  }
  return [];
}

async function probeEvents(client: KubeClient, pod: KubeObject): Promise<string[]> {
  try {
    const list = await client.request<{ items?: KubeObject[] }>({
      path: `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace ?? '')}/events`,
      query: { fieldSelector: `involvedObject.name=${pod.metadata.name}` },
    });
    return probeEventMessages(list.items ?? [], pod.metadata.name ?? '').map((m) => `    probe: ${m}`);
  } catch {
    return [];
  }
}

async function explain(client: KubeClient, pods: KubeObject[]): Promise<string[]> {
  const lines: string[] = [];
  for (const pod of pods) {
    for (const problem of diagnosePod(pod)) {
      lines.push(`pod ${problem.pod}: ${problem.message}`);
      lines.push(...(await podLogTail(client, pod, problem)));
      if (problem.reason === 'Unhealthy') lines.push(...(await probeEvents(client, pod)));
    }
  }
  return lines;
}

/** Waits until every object with a readiness rule is ready; returns the failures (empty: all ready). */
export async function waitForReady(
  client: KubeClient,
  mapper: RestMapper,
  objects: KubeObject[],
  options: WaitOptions,
): Promise<WaitFailure[]> {
  const tracked = objects.filter(hasReadinessRule);
  const results = await Promise.all(tracked.map((obj) => waitOne(client, mapper, obj, options)));
  return results.filter((r): r is WaitFailure => r !== undefined);
}

async function waitOne(
  client: KubeClient,
  mapper: RestMapper,
  applied: KubeObject,
  options: WaitOptions,
): Promise<WaitFailure | undefined> {
  const ref = refOf(applied);
  const resource = await mapper.resolve(ref);
  const namespace = resource.namespaced ? (ref.namespace ?? client.namespace) : undefined;
  const isPod = ref.group === '' && ref.kind === 'Pod';
  const isJob = ref.group === 'batch' && ref.kind === 'Job';
  let current: KubeObject | undefined;
  const pods = new Map<string, KubeObject>();
  const watchers: Watcher[] = [];
  let lastMessage = '';

  return new Promise<WaitFailure | undefined>((resolve) => {
    let settled = false;
    let stable: NodeJS.Timeout | undefined;
    const settleMs = options.settleMs ?? 2_000;
    const finish = (result: WaitFailure | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (stable) clearTimeout(stable);
      for (const w of watchers) w.stop();
      resolve(result);
    };
    const fail = async (message: string) => {
      if (settled) return;
      const podList = isPod && current ? [current] : [...pods.values()];
      const details = await explain(client, podList);
      finish({ ref, message, details });
    };
    const evaluate = () => {
      if (settled || !current) return;
      const state = readiness(current);
      if (state.message !== lastMessage) {
        lastMessage = state.message;
        options.onProgress?.(ref, state.message, state.ready);
      }
      // A Job retries failed pods: only its Complete/Failed conditions count, and images that will never come.
      const problems = (isPod ? [current] : [...pods.values()])
        .flatMap(diagnosePod)
        .filter((p) => !isJob || (p.fatal && isImageProblem(p)));
      if (state.ready && problems.length === 0) {
        if (settleMs === 0) return finish(undefined);
        stable ??= setTimeout(() => finish(undefined), settleMs);
        return;
      }
      if (stable) {
        clearTimeout(stable);
        stable = undefined;
      }
      if (state.failed) return void fail(state.message);
      if (problems.some((p) => p.fatal)) void fail(state.message);
    };
    const timer = setTimeout(
      () => void fail(`not ready after ${formatDuration(options.timeoutMs)}: ${lastMessage}`),
      options.timeoutMs,
    );

    watchers.push(
      watchCollection(
        client,
        mapper.path(resource, namespace),
        {
          onList(items) {
            current = items[0] ? { ...items[0], apiVersion: applied.apiVersion, kind: applied.kind } : undefined;
            if (current) watchPods(current);
            evaluate();
          },
          onEvent(type, obj) {
            current = type === 'DELETED' ? undefined : { ...obj, apiVersion: applied.apiVersion, kind: applied.kind };
            if (current) watchPods(current);
            evaluate();
          },
          onError(error) {
            void fail(`cannot watch it: ${error.message}`);
          },
        },
        { fieldSelector: `metadata.name=${ref.name}` },
      ),
    );
    // Pods are found by the live object's selector: a Job's is set by the server.
    let watchingPods = false;
    function watchPods(live: KubeObject) {
      const selector = hasPods(applied) && !isPod ? selectorOf(live) : undefined;
      if (watchingPods || settled || !selector) return;
      watchingPods = true;
      watchers.push(
        watchCollection(
          client,
          `/api/v1/namespaces/${encodeURIComponent(namespace ?? '')}/pods`,
          {
            onList(items) {
              pods.clear();
              for (const p of items) pods.set(p.metadata.uid ?? p.metadata.name ?? '', p);
              evaluate();
            },
            onEvent(type, obj) {
              const key = obj.metadata.uid ?? obj.metadata.name ?? '';
              if (type === 'DELETED') pods.delete(key);
              else pods.set(key, obj);
              evaluate();
            },
          },
          { labelSelector: selector },
        ),
      );
    }
  });
}

/** Waits until none of the objects exists any more (deleted by prune or purge). */
export async function waitForGone(
  client: KubeClient,
  mapper: RestMapper,
  refs: ObjectRef[],
  timeoutMs: number,
): Promise<ObjectRef[]> {
  const remaining = await Promise.all(
    refs.map(async (ref) => {
      let resource: Awaited<ReturnType<RestMapper['resolve']>>;
      try {
        resource = await mapper.resolve(ref);
      } catch {
        return undefined; // its kind is gone (CRD deleted), and so is the object
      }
      const namespace = resource.namespaced ? ref.namespace : undefined;
      return new Promise<ObjectRef | undefined>((resolve) => {
        let done = false;
        const end = (value: ObjectRef | undefined) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          watcher.stop();
          resolve(value);
        };
        const timer = setTimeout(() => end(ref), timeoutMs);
        const watcher = watchCollection(
          client,
          mapper.path(resource, namespace),
          {
            onList(items) {
              if (items.length === 0) end(undefined);
            },
            onEvent(type) {
              if (type === 'DELETED') end(undefined);
            },
            onError(error) {
              end(isNotFound(error) ? undefined : ref);
            },
          },
          { fieldSelector: `metadata.name=${ref.name}` },
        );
      });
    }),
  );
  return remaining.filter((r): r is ObjectRef => r !== undefined);
}

export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export function parseDuration(text: string, where: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new KloopError(`${where}: "${text}" is not a duration`, { hint: 'write it like 90s, 5m or 1h' });
  const n = Number(m[1]);
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

export function failureLines(failures: WaitFailure[]): string[] {
  return failures.flatMap((f) => [`${describeRef(f.ref)}: ${f.message}`, ...f.details.map((d) => `  ${d}`)]);
}
