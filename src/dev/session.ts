// The dev session, Vite-style: createDevSession(options) resolves what the session needs (targets,
// the cluster connection) and returns { store, start, stop } plus the actions the dashboard and
// `kloop ui` offer. start deploys, patches and runs one TargetSession per target under a
// supervisor until stop, which restores what the session changed. Everything the session learns
// is dispatched into its store (actions.ts); the terminal view, `-o json`/`-o jsonl` and the
// dashboard subscribe to it. The supervisor notices a laptop that slept (timers that fired far
// too late) and has every stream re-established, and turns rebuild-glob changes into build +
// redeploy; connect/intercept processes beside the session arrive through a file watch.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Project } from '../config/project.ts';
import { type Connection, type DeploySummary, deployProject, openConnection } from '../deploy/deploy.ts';
import { purgeProject } from '../deploy/purge.ts';
import { KloopError } from '../errors.ts';
import { type PublishedHybrid, watchHybrids, type HybridWatch } from '../hybrid/published.ts';
import type { PauseMode } from '../kube/gitops-owners.ts';
import { requestResync } from '../kube/gitops-pause.ts';
import { restore, self } from '../kube/journal.ts';
import { createDialer, type Dialer } from '../kube/streams.ts';
import { alive } from '../process/alive.ts';
import type { SessionAction } from './actions.ts';
import type { DebugPlan } from './debug.ts';
import { launchTarget, planTargetDebug, runsUnderDebugger, withDebug, withDebugPort } from './debug-target.ts';
import { applyDevPatch, type DevOverrides } from './dev-patch.ts';
import { GitopsGuard } from './gitops-guard.ts';
import { launchConfiguration, launchName, writeLaunch } from './launch.ts';
import type { AppState, HybridState } from './state.ts';
import { createStore, newTarget, type SessionStore } from './store.ts';
import { TargetSession } from './target-session.ts';

export interface DevSessionOptions {
  project: Project;
  /** target names (empty: all) */
  targets?: readonly string[];
  /** --skip-deploy: attach to what is deployed */
  skipDeploy?: boolean;
  /** lines of log history for each target's first pod */
  tailLines?: number;
  /** kloop dev --debug: every selected target's process runs under its debugger */
  debug?: boolean;
  /** with debug: the launch.json entries go into a debug-launch action instead of .vscode/launch.json */
  printLaunch?: boolean;
  /** --gitops-pause: overrides each target's gitops.pause */
  gitopsPause?: PauseMode;
  /** ask: the question on the terminal */
  confirm?: (question: string) => Promise<boolean>;
  /** --resync: after giving paused reconciliation back, ask the controllers to reconcile now */
  resync?: boolean;
  /** a connection to share; without one the session opens its own and closes it on stop */
  connection?: Connection;
}

export interface DevSession {
  readonly store: SessionStore;
  /**
   * claims the project (.kloop/dev-session.pid) or fails because another session holds it; start
   * does it too. Separate so that `kloop dev` publishes its API's address only once it owns the
   * project: a second session must not overwrite the running one's.
   */
  lock(): Promise<void>;
  /** deploys, patches and starts every target; resolves once all run (rejects with the first failure) */
  start(): Promise<void>;
  /** ends the session: streams and ports closed, what it changed in the cluster restored */
  stop(): Promise<void>;
  /** re-establishes the target's streams (a full resync) */
  resync(target: string): void;
  /** restarts the target's main process / runs its onSync exec now */
  restart(target: string): void;
  /** builds and redeploys the target's app now; resolves when done (failures are reported, not thrown) */
  rebuild(target: string): Promise<void>;
  /** purges the target's app (only its dev patch is restored, not other targets') */
  purge(target: string): Promise<void>;
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

/** Checks the targets and connects to the cluster (an unreachable one fails here, before anything starts). */
export async function createDevSession(options: DevSessionOptions): Promise<DevSession> {
  const { project } = options;
  const names = selectTargets(project, options.targets ?? []);
  const own = !options.connection;
  const connection = options.connection ?? (await openConnection(project));
  const session = new Session(options, names, connection, createDialer(connection.client.credentials), own);
  return {
    store: session.store,
    lock: () => session.lock(),
    start: () => session.start(),
    stop: () => session.stop(),
    resync: (t) => session.running(t).reconnect(),
    restart: (t) => session.running(t).reload(),
    rebuild: (t) => session.rebuildNow(t),
    purge: (t) => session.purge(t),
  };
}

class Session {
  readonly store: SessionStore;
  private readonly o: DevSessionOptions;
  private readonly project: Project;
  private readonly connection: Connection;
  private readonly dialer: Dialer;
  private readonly ownConnection: boolean;
  private readonly names: string[];
  private readonly sessions = new Map<string, TargetSession>();
  private sleepTimer: NodeJS.Timeout | null = null;
  private hybrids: HybridWatch | null = null;
  private rebuilding: Promise<void> = Promise.resolve();
  private stopping = false;
  private lockFile: string | undefined;
  private readonly debugPlans = new Map<string, DebugPlan>();
  private readonly gitops: GitopsGuard;
  private readonly unsubscribe: () => void;

  constructor(options: DevSessionOptions, names: string[], connection: Connection, dialer: Dialer, own: boolean) {
    this.o = options;
    this.project = options.project;
    this.names = names;
    this.connection = connection;
    this.dialer = dialer;
    this.ownConnection = own;
    const targets = Object.fromEntries(
      names.map((n) => [n, { ...newTarget(n, this.project.dev[n]!.namespace), phase: 'deploying' as const }]),
    );
    this.store = createStore({
      project: this.project.name,
      startedAt: new Date().toISOString(),
      phase: 'starting',
      targets,
    });
    this.gitops = new GitopsGuard({
      client: connection.client,
      stateDir: this.project.stateDir,
      ...(options.gitopsPause ? { mode: options.gitopsPause } : {}),
      ...(options.confirm ? { confirm: options.confirm } : {}),
      dispatch: (a) => this.store.dispatch(a),
    });
    // the session reacts to what its targets report: a rebuild glob that matched means redeploy
    this.unsubscribe = this.store.subscribe((_, a) => {
      if (a.type === 'rebuild') this.rebuild(a.target, a.paths);
    });
  }

  private dispatch(action: SessionAction): void {
    this.store.dispatch(action);
  }

  private notice(message: string, level?: 'error'): void {
    this.dispatch({ type: 'notice', message, ...(level ? { level } : {}) });
  }

  running(target: string): TargetSession {
    const s = this.sessions.get(target);
    if (!s) throw new KloopError(`dev target "${target}" has not started yet (its app is still deploying)`);
    return s;
  }

  async start(): Promise<void> {
    const { project } = this;
    const client = this.connection.client;
    await this.lock();
    // A session that crashed or was killed left its changes recorded: undo them first.
    const leftovers = await restore({ client, stateDir: project.stateDir }, { orphans: true });
    for (const r of leftovers)
      this.notice(`restored ${r.describe} (left ${r.changed ?? 'changed'} by an earlier session)`);

    const apps = [...new Set(this.names.map((n) => project.dev[n]!.app))];
    await this.deployRecorded(apps);
    // stopped while deploying (Ctrl-C during a long rollout): patch nothing
    if (this.stopping) return;
    if (this.o.debug) await this.planDebuggers();
    await this.applyPatches(this.names);
    if (this.stopping) return;
    this.dispatch({ type: 'targets-waiting' });

    for (const n of this.names) {
      const t = project.dev[n]!;
      const plan = this.debugPlans.get(n);
      const session = new TargetSession({
        client,
        dialer: this.dialer,
        root: project.root,
        target: plan ? { ...t, ports: withDebugPort(t.ports, plan) } : t,
        // pods of the template before the dev patch are no use (they may also be the only ready ones
        // while the patched pods cannot start, which then ends the wait with their problem)
        acceptPod: (pod) =>
          this.gitops.runsPatch(n, pod, t.container) && (!plan || runsUnderDebugger(pod, t.container, plan)),
        store: this.store,
        tailLines: this.o.tailLines,
      });
      this.sessions.set(n, session);
    }
    await Promise.all([...this.sessions.values()].map((s) => s.start()));
    if (this.stopping) return;
    this.dispatch({ type: 'session-phase', phase: 'running' });
    this.watchForSleep();
    this.hybrids = watchHybrids(project.stateDir, (now) => this.hybridsChanged(now));
    for (const n of this.names) {
      const url = project.dev[n]!.open;
      if (url) openBrowser(url, (m) => this.notice(m));
    }
  }

  // One session per project at a time: a second one would take the first one's dev patches for
  // leftovers of a crash and restore them under its feet.
  async lock(): Promise<void> {
    if (this.lockFile) return;
    const file = path.join(this.project.stateDir, 'dev-session.pid');
    const other = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (other && other !== process.pid && alive(other)) {
      throw new KloopError(`another kloop dev session (pid ${other}) is running for ${this.project.name}`, {
        hint: `stop it first (Ctrl-C in its terminal, or kill ${other}); sessions share the dev patches of this project`,
      });
    }
    await mkdir(this.project.stateDir, { recursive: true });
    await writeFile(file, `${process.pid}\n`);
    this.lockFile = file;
  }

  // The plans come from the workload as deployed, once: a rebuild patches again with the same plan.
  private async planDebuggers(): Promise<void> {
    const { project } = this;
    for (const n of this.names) {
      const t = project.dev[n]!;
      const plan = await planTargetDebug(this.connection.client, t);
      this.debugPlans.set(n, plan);
      for (const note of plan.notes) this.notice(`${n}: ${note}`);
      this.dispatch({
        type: 'debug',
        target: n,
        debug: {
          runtime: plan.runtime,
          ...(plan.port ? { port: plan.port } : {}),
          wait: plan.wait,
          attach: launchName({ target: n, plan }),
        },
      });
    }
    const targets = [...this.debugPlans].map(([n, plan]) => launchTarget(project.root, project.dev[n]!, plan));
    const configurations = targets.map((t) => launchConfiguration(project.root, t));
    if (this.o.printLaunch) this.dispatch({ type: 'debug-launch', configurations });
    else {
      const written = await writeLaunch(project.root, targets);
      const file = path.relative(process.cwd(), written) || written;
      this.dispatch({ type: 'debug-launch', configurations, file });
      this.notice(`debugger attach entries in ${file}: ${targets.map((t) => `"${launchName(t)}"`).join(', ')}`);
    }
  }

  private async applyPatches(names: readonly string[]): Promise<void> {
    for (const n of names) {
      const t = this.project.dev[n]!;
      const base: DevOverrides = { ...t.patch, ...(t.onSync === 'restart' ? { restartLoop: true } : {}) };
      const overrides = withDebug(base, this.debugPlans.get(n));
      if (Object.keys(overrides).length === 0) continue;
      // a controller that keeps the workload in sync with Git would revert the patch: pause it first
      await this.gitops.beforePatch(t);
      await applyDevPatch(this.connection.client, this.project.stateDir, t, overrides);
      await this.gitops.afterPatch(t);
    }
  }

  rebuildNow(target: string): Promise<void> {
    this.rebuild(target, ['(requested)']);
    return this.rebuilding;
  }

  /** rebuild: globs changed: build + redeploy the target's app, then patch again (deploy resets the command). */
  private rebuild(target: string, paths: string[]): void {
    if (this.o.skipDeploy || this.stopping) return;
    const app = this.project.dev[target]!.app;
    this.notice(`${target}: ${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ' …' : ''} changed: rebuilding ${app}`);
    this.rebuilding = this.rebuilding.then(async () => {
      try {
        await this.gitops.hold(async () => {
          await this.deployRecorded([app]);
          await this.applyPatches(this.names.filter((n) => this.project.dev[n]!.app === app));
        });
        this.notice(`${target}: ${app} redeployed`);
      } catch (error) {
        this.notice(`${target}: rebuild failed: ${(error as Error).message}`, 'error');
      }
    });
  }

  async purge(target: string): Promise<void> {
    await purgeProject(this.project, { apps: [this.project.dev[target]!.app] }, this.connection);
  }

  // After a laptop sleep the streams are usually dead without anyone having noticed; a timer that
  // fires far later than asked is the sign.
  private watchForSleep(): void {
    let last = Date.now();
    this.sleepTimer = setInterval(() => {
      const now = Date.now();
      if (now - last > 15_000) {
        this.notice(`woke up after ${Math.round((now - last) / 1000)} s: reconnecting`);
        for (const s of this.sessions.values()) s.reconnect();
      }
      last = now;
    }, 2_000);
    this.sleepTimer.unref();
  }

  /** Deploys (build + render + apply + wait), recording it in the store's history. */
  private async deployRecorded(apps: string[]): Promise<void> {
    if (this.o.skipDeploy) return;
    const started = Date.now();
    const at = new Date(started).toISOString();
    this.dispatch({ type: 'deploy-started', at, project: this.project.name, apps });
    let summary: DeploySummary;
    try {
      summary = await deployProject(
        this.project,
        { apps, images: {}, skipBuild: false, forceConflicts: false, wait: true },
        this.connection,
      );
    } catch (error) {
      const problem = error instanceof Error ? error.message : String(error);
      this.dispatch({ type: 'deploy-failed', apps, ms: Date.now() - started, error: problem });
      throw error;
    }
    this.dispatch({ type: 'deploy-done', apps, ms: Date.now() - started, deployed: deployedApps(summary) });
  }

  /** The connect/intercept processes beside the session, as one action per one that started, changed or ended. */
  private hybridsChanged(now: Record<string, PublishedHybrid>): void {
    const before = this.store.get().hybrid ?? {};
    for (const [key, h] of Object.entries(now)) {
      const entry: HybridState = { kind: h.kind, pid: h.pid, state: h.state };
      if (JSON.stringify(before[key]) !== JSON.stringify(entry))
        this.dispatch({ type: 'hybrid', key, entry, started: !before[key] });
    }
    for (const key of Object.keys(before)) if (!now[key]) this.dispatch({ type: 'hybrid', key, entry: null });
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.sleepTimer) clearInterval(this.sleepTimer);
    this.hybrids?.close();
    this.dispatch({ type: 'session-phase', phase: 'stopping' });
    this.gitops.stop();
    try {
      await Promise.allSettled([...this.sessions.values()].map((s) => s.stop()));
      await this.rebuilding;
      // without the lock the patches are another session's: leave them alone
      if (this.lockFile) {
        const client = this.connection.client;
        const restored = await restore({ client, stateDir: this.project.stateDir }, { owner: self() });
        for (const r of restored) this.notice(`restored ${r.describe}`);
        if (this.o.resync) await requestResync(client, restored, (m) => this.notice(m));
        await rm(this.lockFile, { force: true });
      }
      this.dispatch({ type: 'session-phase', phase: 'stopped' });
    } finally {
      this.unsubscribe();
      if (this.ownConnection) this.connection.client.close();
    }
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
