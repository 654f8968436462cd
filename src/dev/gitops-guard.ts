// A dev session in a GitOps-managed cluster: before a target's workload is patched, the Flux or
// Argo CD object that reconciles it is paused for exactly that (kube/gitops-pause.ts, through the
// journal); while the session runs, a dev patch undone anyway (a controller that ignored the
// pause, or one kloop was told not to pause) is reported with the controller's name, instead of
// sync silently stopping.
import type { ResolvedDevTarget } from '../config/project.ts';
import type { KubeClient } from '../kube/client.ts';
import type { RestMapper } from '../kube/discovery.ts';
import { describeOwner, gitopsSettings, type PauseMode } from '../kube/gitops-owners.ts';
import { type PauseOutcome, pauseOwner } from '../kube/gitops-pause.ts';
import { findContainer, workloadPath } from '../kube/pods.ts';
import type { KubeObject } from '../kube/types.ts';
import type { SessionAction } from './actions.ts';

export interface GitopsGuardOptions {
  client: KubeClient;
  stateDir: string;
  mapper?: RestMapper;
  /** --gitops-pause: overrides every target's gitops.pause */
  mode?: PauseMode;
  confirm?: (question: string) => Promise<boolean>;
  /** the session store's dispatch: notices and each target's GitOps state go there */
  dispatch(action: SessionAction): void;
  /** how often a patched workload is checked (ms) */
  checkEveryMs?: number;
}

type Fields = Pick<Record<string, unknown>, 'image' | 'command' | 'args' | 'env' | 'workingDir'>;

function containerOf(obj: KubeObject, container?: string): Fields | undefined {
  const list: Array<Fields & { name: string }> = obj.spec?.template?.spec?.containers ?? [];
  const c = findContainer(list, container);
  if (!c) return undefined;
  return { image: c.image, command: c.command, args: c.args, env: c.env, workingDir: c.workingDir };
}

export class GitopsGuard {
  private readonly o: GitopsGuardOptions;
  private readonly outcomes = new Map<string, PauseOutcome>();
  /** what each patched target's container looked like right after the patch */
  private readonly patched = new Map<string, { path: string; container?: string; fields: string }>();
  private timer: NodeJS.Timeout | null = null;
  private held = 0;
  /** the patched container of each target, for telling its pods from the old template's */
  private readonly templates = new Map<string, Fields>();
  private checking = false;

  constructor(options: GitopsGuardOptions) {
    this.o = options;
  }

  /** Pauses the owner of the target's workload (per its settings) before the session patches it. */
  async beforePatch(t: ResolvedDevTarget): Promise<void> {
    if (!t.workload || this.outcomes.has(t.name)) return;
    const { path } = workloadPath(t.workload, t.namespace);
    const object = await this.o.client.request<KubeObject>({ path });
    const outcome = await pauseOwner({
      client: this.o.client,
      stateDir: this.o.stateDir,
      ...(this.o.mapper ? { mapper: this.o.mapper } : {}),
      settings: gitopsSettings(t.gitops, this.o.mode),
      object,
      objectPath: path,
      objectName: `${t.workload} in ${t.namespace}`,
      app: t.app,
      target: t.name,
      ...(this.o.confirm ? { confirm: this.o.confirm } : {}),
      onNotice: (message) => this.o.dispatch({ type: 'notice', message }),
    });
    this.outcomes.set(t.name, outcome);
    if (!outcome.owner) return;
    const owner = describeOwner(outcome.owner.owner);
    if (outcome.state === 'paused') this.o.dispatch({ type: 'notice', message: `${t.name}: ${outcome.message}` });
    this.o.dispatch({
      type: 'gitops',
      target: t.name,
      gitops: {
        owner,
        state: outcome.state === 'paused' ? 'paused' : 'not-paused',
        ...(outcome.message ? { note: outcome.message } : {}),
      },
    });
  }

  /** Remembers the patched container, to notice when something undoes the patch. */
  async afterPatch(t: ResolvedDevTarget): Promise<void> {
    if (!t.workload) return;
    const { path } = workloadPath(t.workload, t.namespace);
    const live = await this.o.client.request<KubeObject>({ path });
    const fields = containerOf(live, t.container);
    this.patched.set(t.name, { path, container: t.container, fields: JSON.stringify(fields) });
    if (fields) this.templates.set(t.name, fields);
    this.timer ??= setInterval(() => void this.check(), this.o.checkEveryMs ?? 2_000);
    this.timer.unref();
  }

  /** True when the pod runs the target's patched container (a pod of the old template does not). */
  runsPatch(target: string, pod: KubeObject, container?: string): boolean {
    const want = this.templates.get(target);
    if (!want) return true;
    const list: Array<Fields & { name: string }> = pod.spec?.containers ?? [];
    const c = findContainer(list, container);
    if (!c) return false;
    return (['image', 'command', 'args', 'env', 'workingDir'] as const).every(
      (f) => JSON.stringify(c[f]) === JSON.stringify(want[f]),
    );
  }

  /** Around the session's own redeploys (which reset the patch until it is applied again). */
  async hold<T>(fn: () => Promise<T>): Promise<T> {
    this.held++;
    try {
      return await fn();
    } finally {
      this.held--;
    }
  }

  private async check(): Promise<void> {
    if (this.held || this.checking) return;
    this.checking = true;
    try {
      for (const [name, p] of [...this.patched]) {
        let live: KubeObject | undefined;
        try {
          live = await this.o.client.request<KubeObject>({ path: p.path });
        } catch {
          continue; // the workload is gone or the cluster unreachable: the pod tracker reports that
        }
        if (this.held) return;
        if (JSON.stringify(containerOf(live, p.container)) === p.fields) continue;
        this.patched.delete(name);
        const outcome = this.outcomes.get(name);
        const owner = outcome?.owner ? describeOwner(outcome.owner.owner) : undefined;
        const note = owner
          ? outcome?.state === 'paused'
            ? `${owner} reverted the dev patch although it was paused: check that the controller honours ${outcome.owner?.owner.tool === 'Flux' ? 'the pause' : 'the Application change'}`
            : `${owner} reverted the dev patch (not paused): run kloop dev with --gitops-pause auto`
          : 'the dev patch was undone in the cluster (kubectl apply, or a controller kloop does not know)';
        this.o.dispatch({ type: 'notice', level: 'error', message: `error: ${name}: ${note}` });
        this.o.dispatch({
          type: 'gitops',
          target: name,
          gitops: { owner: owner ?? 'unknown', state: 'reverted', note },
        });
      }
    } finally {
      this.checking = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
