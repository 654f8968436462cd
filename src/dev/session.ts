// The dev session: deploy, dev patches, one TargetSession per target under a supervisor, until
// stopped. The supervisor notices a laptop that slept (timers that fired far too late) and has
// every stream re-established, and turns rebuild-glob changes into build + redeploy.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Project } from '../config/project.ts';
import type { DeploySummary } from '../deploy/deploy.ts';
import { KloopError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { readHybrids } from '../hybrid/published.ts';
import type { DebugPlan } from './debug.ts';
import { launchTarget, planTargetDebug, runsUnderDebugger, withDebug, withDebugPort } from './debug-target.ts';
import { applyDevPatch, type DevOverrides } from './dev-patch.ts';
import { GitopsGuard } from './gitops-guard.ts';
import { launchConfiguration, launchName, writeLaunch } from './launch.ts';
import type { PauseMode } from '../kube/gitops-owners.ts';
import { requestResync } from '../kube/gitops-pause.ts';
import { restore, self } from '../kube/journal.ts';
import { alive } from '../process/alive.ts';
import type { Dialer } from '../kube/streams.ts';
import type { LogLine } from './logs.ts';
import { type AppState, createStore, type HybridState, newTarget, type SessionStore } from './store.ts';
import { TargetSession } from './target-session.ts';

export interface DevSessionOptions {
  project: Project;
  client: KubeClient;
  dialer: Dialer;
  /** target names (empty: all) */
  targets: readonly string[];
  /** deploys the given apps (build + render + apply + wait); absent with --skip-deploy */
  deploy?: (apps: string[]) => Promise<DeploySummary | undefined>;
  onLog: (line: LogLine) => void;
  onNotice?: (message: string) => void;
  tailLines?: number;
  /** kloop dev --debug: every selected target's process runs under its debugger */
  debug?: boolean;
  /** with debug: print the launch.json entries instead of writing .vscode/launch.json */
  printLaunch?: (entries: Record<string, unknown>[]) => void;
  /** --gitops-pause: overrides each target's gitops.pause */
  gitopsPause?: PauseMode;
  /** ask: the question on the terminal */
  confirm?: (question: string) => Promise<boolean>;
  /** --resync: after giving paused reconciliation back, ask the controllers to reconcile now */
  resync?: boolean;
}

export function selectTargets(project: Project, names: readonly string[]): string[] {
  const all = Object.keys(project.dev);
  if (all.length === 0) {
    throw new KloopError(`${project.configFile} has no dev targets`, {
      hint: 'add a dev: section (see docs/commands/dev.md): app, workload, container, sync, ports',
    });
  }
  const unknown = names.filter((n) => !project.dev[n]);
  if (unknown.length) {
    throw new KloopError(`no dev target "${unknown[0]}" in ${project.configFile}`, {
      hint: `dev targets: ${all.join(', ')}`,
    });
  }
  return names.length ? [...names] : all;
}

export class DevSession {
  readonly store: SessionStore;
  private readonly o: DevSessionOptions;
  private readonly names: string[];
  private readonly sessions = new Map<string, TargetSession>();
  private sleepTimer: NodeJS.Timeout | null = null;
  private hybridTimer: NodeJS.Timeout | null = null;
  private rebuilding: Promise<void> = Promise.resolve();
  private stopping = false;
  private lockFile: string | undefined;
  private readonly debugPlans = new Map<string, DebugPlan>();
  private readonly gitops: GitopsGuard;

  constructor(options: DevSessionOptions) {
    this.o = options;
    this.gitops = new GitopsGuard({
      client: options.client,
      stateDir: options.project.stateDir,
      ...(options.gitopsPause ? { mode: options.gitopsPause } : {}),
      ...(options.confirm ? { confirm: options.confirm } : {}),
      onNotice: (m) => this.o.onNotice?.(m),
      report: (target, state) =>
        this.store.update(`${target}: gitops ${state.state}`, (s) => {
          const t = s.targets[target];
          if (t) t.gitops = state;
        }),
    });
    this.names = selectTargets(options.project, options.targets);
    const targets = Object.fromEntries(
      this.names.map((n) => [n, { ...newTarget(n, options.project.dev[n]!.namespace), phase: 'deploying' as const }]),
    );
    this.store = createStore({
      project: options.project.name,
      startedAt: new Date().toISOString(),
      phase: 'starting',
      targets,
    });
  }

  get targetSessions(): ReadonlyMap<string, TargetSession> {
    return this.sessions;
  }

  async start(): Promise<void> {
    const { project, client } = this.o;
    await this.lock();
    // A session that crashed or was killed left its changes recorded: undo them first.
    const leftovers = await restore({ client, stateDir: project.stateDir }, { orphans: true });
    for (const r of leftovers)
      this.o.onNotice?.(`restored ${r.describe} (left ${r.changed ?? 'changed'} by an earlier session)`);

    const apps = [...new Set(this.names.map((n) => project.dev[n]!.app))];
    await this.deployRecorded(apps);
    if (this.o.debug) await this.planDebuggers();
    await this.applyPatches(this.names);
    this.store.update('deployed', (s) => {
      for (const t of Object.values(s.targets)) t.phase = 'waiting-for-pod';
    });

    for (const n of this.names) {
      const t = project.dev[n]!;
      const plan = this.debugPlans.get(n);
      const session = new TargetSession({
        client,
        dialer: this.o.dialer,
        root: project.root,
        target: plan ? { ...t, ports: withDebugPort(t.ports, plan) } : t,
        // pods of the template before the dev patch are no use (they may also be the only ready ones
        // while the patched pods cannot start, which then ends the wait with their problem)
        acceptPod: (pod) =>
          this.gitops.runsPatch(n, pod, t.container) && (!plan || runsUnderDebugger(pod, t.container, plan)),
        store: this.store,
        onLog: this.o.onLog,
        onRebuild: (target, paths) => this.rebuild(target, paths),
        tailLines: this.o.tailLines,
      });
      this.sessions.set(n, session);
    }
    await Promise.all([...this.sessions.values()].map((s) => s.start()));
    this.store.update('session running', (s) => {
      s.phase = 'running';
    });
    this.watchForSleep();
    this.followHybrids();
    for (const n of this.names) {
      const url = project.dev[n]!.open;
      if (url) openBrowser(url, this.o.onNotice);
    }
  }

  // One session per project at a time: a second one would take the first one's dev patches for
  // leftovers of a crash and restore them under its feet.
  private async lock(): Promise<void> {
    const file = path.join(this.o.project.stateDir, 'dev-session.pid');
    const other = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (other && other !== process.pid && alive(other)) {
      throw new KloopError(`another kloop dev session (pid ${other}) is running for ${this.o.project.name}`, {
        hint: `stop it first (Ctrl-C in its terminal, or kill ${other}); sessions share the dev patches of this project`,
      });
    }
    await mkdir(this.o.project.stateDir, { recursive: true });
    await writeFile(file, `${process.pid}\n`);
    this.lockFile = file;
  }

  // The plans come from the workload as deployed, once: a rebuild patches again with the same plan.
  private async planDebuggers(): Promise<void> {
    const { project } = this.o;
    for (const n of this.names) {
      const t = project.dev[n]!;
      const plan = await planTargetDebug(this.o.client, t);
      this.debugPlans.set(n, plan);
      for (const note of plan.notes) this.o.onNotice?.(`${n}: ${note}`);
      this.store.update(`${n}: debug ${plan.runtime}`, (s) => {
        const target = s.targets[n];
        if (target)
          target.debug = {
            runtime: plan.runtime,
            ...(plan.port ? { port: plan.port } : {}),
            wait: plan.wait,
            attach: launchName({ target: n, plan }),
          };
      });
    }
    const targets = [...this.debugPlans].map(([n, plan]) => launchTarget(project.root, project.dev[n]!, plan));
    if (this.o.printLaunch) this.o.printLaunch(targets.map((t) => launchConfiguration(project.root, t)));
    else {
      const file = await writeLaunch(project.root, targets);
      this.o.onNotice?.(
        `debugger attach entries in ${path.relative(process.cwd(), file) || file}: ${targets.map((t) => `"${launchName(t)}"`).join(', ')}`,
      );
    }
  }

  private async applyPatches(names: readonly string[]): Promise<void> {
    for (const n of names) {
      const t = this.o.project.dev[n]!;
      const base: DevOverrides = { ...t.patch, ...(t.onSync === 'restart' ? { restartLoop: true } : {}) };
      const overrides = withDebug(base, this.debugPlans.get(n));
      if (Object.keys(overrides).length === 0) continue;
      // a controller that keeps the workload in sync with Git would revert the patch: pause it first
      await this.gitops.beforePatch(t);
      await applyDevPatch(this.o.client, this.o.project.stateDir, t, overrides);
      await this.gitops.afterPatch(t);
    }
  }

  /** Restarts the target's main process / runs its onSync exec now. */
  restart(target: string): void {
    const s = this.sessions.get(target);
    if (!s) throw new KloopError(`dev target "${target}" has not started yet`);
    s.reload();
  }

  /** Builds and redeploys the target's app now; resolves when done (errors are reported, not thrown). */
  rebuildNow(target: string): Promise<void> {
    this.rebuild(target, ['(requested)']);
    return this.rebuilding;
  }

  /** rebuild: globs changed: build + redeploy the target's app, then patch again (deploy resets the command). */
  private rebuild(target: string, paths: string[]): void {
    if (!this.o.deploy || this.stopping) return;
    const app = this.o.project.dev[target]!.app;
    this.o.onNotice?.(
      `${target}: ${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ' …' : ''} changed: rebuilding ${app}`,
    );
    this.rebuilding = this.rebuilding.then(async () => {
      try {
        await this.gitops.hold(async () => {
          await this.deployRecorded([app]);
          await this.applyPatches(this.names.filter((n) => this.o.project.dev[n]!.app === app));
        });
        this.o.onNotice?.(`${target}: ${app} redeployed`);
      } catch (error) {
        this.o.onNotice?.(`${target}: rebuild failed: ${(error as Error).message}`);
      }
    });
  }

  // After a laptop sleep the streams are usually dead without anyone having noticed; a timer that
  // fires far later than asked is the sign.
  private watchForSleep(): void {
    let last = Date.now();
    this.sleepTimer = setInterval(() => {
      const now = Date.now();
      if (now - last > 15_000) {
        this.o.onNotice?.(`woke up after ${Math.round((now - last) / 1000)} s: reconnecting`);
        for (const s of this.sessions.values()) s.reconnect();
      }
      last = now;
    }, 2_000);
    this.sleepTimer.unref();
  }

  /** Deploys through the session's deploy function, recording it in the store's history. */
  private async deployRecorded(apps: string[]): Promise<void> {
    if (!this.o.deploy) return;
    const started = Date.now();
    const at = new Date(started).toISOString();
    this.store.update(`deploying ${apps.join(', ')}`, (s) => {
      s.deploys = [...(s.deploys ?? []), { at, apps, state: 'running' as const }].slice(-50);
      s.apps ??= {};
      for (const a of apps) s.apps[a] = { ...s.apps[a], project: this.o.project.name, state: 'deploying', at };
    });
    const finish = (state: 'ok' | 'error', error?: string) =>
      this.store.update(`deploy ${state === 'ok' ? 'done' : 'failed'}: ${apps.join(', ')}`, (s) => {
        // deploys never overlap (rebuilds queue behind each other): the last record is this one
        const d = s.deploys?.at(-1);
        if (d) Object.assign(d, { state, ms: Date.now() - started }, error ? { error } : {});
      });
    try {
      const summary = await this.o.deploy(apps);
      if (summary)
        this.store.update('apps deployed', (s) => {
          s.apps = { ...s.apps, ...deployedApps(summary) };
        });
      finish('ok');
    } catch (error) {
      const problem = error instanceof Error ? error.message : String(error);
      this.store.update(`apps failed: ${apps.join(', ')}`, (s) => {
        for (const a of apps) if (s.apps?.[a]) Object.assign(s.apps[a], { state: 'failed', problem });
      });
      finish('error', problem);
      throw error;
    }
  }

  // kloop connect / intercept run as their own processes and publish their state under .kloop/;
  // the session shows them (terminal, -o json, dashboard) as part of its own state.
  private followHybrids(): void {
    let last = '{}';
    this.hybridTimer = setInterval(() => {
      const now: Record<string, HybridState> = {};
      for (const [key, h] of Object.entries(readHybrids(this.o.project.stateDir)))
        now[key] = { kind: h.kind, pid: h.pid, state: h.state };
      const text = JSON.stringify(now);
      if (text === last) return;
      const before = new Set(Object.keys(JSON.parse(last) as object));
      last = text;
      const change = Object.keys(now).find((k) => !before.has(k));
      this.store.update(change ? `${change} started` : 'hybrid state', (s) => {
        s.hybrid = now;
      });
    }, 1_000);
    this.hybridTimer.unref();
  }

  /** Ends the session: streams and ports closed, dev patches restored. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.sleepTimer) clearInterval(this.sleepTimer);
    if (this.hybridTimer) clearInterval(this.hybridTimer);
    this.store.update('session stopping', (s) => {
      s.phase = 'stopping';
    });
    this.gitops.stop();
    await Promise.allSettled([...this.sessions.values()].map((s) => s.stop()));
    await this.rebuilding;
    // without the lock the patches are another session's: leave them alone
    if (this.lockFile) {
      const restored = await restore({ client: this.o.client, stateDir: this.o.project.stateDir }, { owner: self() });
      for (const r of restored) this.o.onNotice?.(`restored ${r.describe}`);
      if (this.o.resync) await requestResync(this.o.client, restored, (m) => this.o.onNotice?.(m));
    }
    if (this.lockFile) await rm(this.lockFile, { force: true });
    this.store.update('session stopped', (s) => {
      s.phase = 'stopped';
    });
  }
}

function openBrowser(url: string, notice?: (m: string) => void): void {
  const hasDisplay =
    process.platform === 'darwin' ||
    process.platform === 'win32' ||
    Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
  if (!hasDisplay || process.env.CI === 'true') {
    notice?.(`open ${url} (no display: not opening a browser)`);
    return;
  }
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => notice?.(`open ${url} (${cmd} is not available)`));
  child.unref();
}

/** The apps of a deploy summary, dependency projects' included (as `<dependency>/<app>`). */
export function deployedApps(summary: DeploySummary, dependency?: string): Record<string, AppState> {
  const at = new Date().toISOString();
  const out: Record<string, AppState> = {};
  for (const [name, r] of Object.entries(summary.apps)) {
    if (r.status === 'removed') continue;
    out[dependency ? `${dependency}/${name}` : name] = {
      project: summary.project,
      ...(dependency ? { dependency } : {}),
      namespace: summary.namespace,
      state: 'ready',
      result: r.status,
      ...(r.leftAlone.length ? { problem: `left alone (not applied by kloop): ${r.leftAlone[0]}` } : {}),
      at,
    };
  }
  for (const [dep, sub] of Object.entries(summary.dependencies))
    Object.assign(out, deployedApps(sub, dependency ? `${dependency}/${dep}` : dep));
  return out;
}
