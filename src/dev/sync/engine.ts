// One sync (local folder → container directory): an initial sync that makes the container equal
// the folder, then watched changes applied in batches over one agent stream. When the stream
// breaks (pod replaced, connection dropped, laptop asleep) it reconnects with back-off and
// repeats the initial sync, which also carries every edit made meanwhile.
import { stat } from 'node:fs/promises';
import { KloopError } from '../../errors.ts';
import { SyncAgent } from './agent.ts';
import { downloadRound } from './download.ts';
import { createFilter, type LocalEntry, type PathFilter, walkLocal } from './local-tree.ts';
import { checkRemoteRoot, isWithin, normalizeRelative, shQuote } from './paths.ts';
import { hasAncestorIn, type ModelEntry, type Plan, planBatch, toModel } from './plan.ts';
import type { Connector } from './process.ts';
import { packFrames } from './tarball.ts';
import { TreeWatcher } from './watcher.ts';

export type SyncState = 'connecting' | 'initial' | 'in-sync' | 'syncing' | 'reconnecting' | 'error' | 'stopped';

/** JSON-serialisable: it goes into the session store as it is. */
export interface SyncStatus {
  from: string;
  to: string;
  state: SyncState;
  /** paths waiting for the next batch */
  pending: number;
  /** entries the container holds below `to`, as far as the engine knows */
  files: number;
  error?: string;
  lastBatch?: { at: string; uploaded: number; deleted: number; bytes: number; ms: number };
  rejected?: string[];
  reconnects: number;
  /** download direction: paths changed on both sides (local won), most recent last */
  conflicts?: string[];
  downloaded?: number;
}

export interface AppliedBatch {
  uploaded: string[];
  deleted: string[];
  initial: boolean;
}

export interface SyncOptions {
  /** absolute local directory */
  from: string;
  /** absolute directory in the container */
  to: string;
  exclude?: readonly string[];
  /** globs whose changes trigger onRebuild instead of a sync */
  rebuild?: readonly string[];
  /** resolves the connector of the current pod; called again on every reconnect */
  connect: () => Promise<Connector>;
  onStatus?: (status: SyncStatus) => void;
  onBatch?: (batch: AppliedBatch) => void;
  onRebuild?: (paths: string[]) => void;
  /** how long after the first change a batch starts, gathering the changes that follow (ms, default 15) */
  debounceMs?: number;
  /** false: only the initial sync (kloop dev with watching off, and the benchmark's baseline) */
  watch?: boolean;
  /** also bring changes made in the container back (local wins on conflicts) */
  download?: boolean;
  /** how often the container is listed for the download direction (ms) */
  downloadIntervalMs?: number;
  /** an idle stream is checked this often (ms, default 15 s) ... */
  heartbeatMs?: number;
  /** ... and counts as dead when the check is not answered within this time (default 10 s) */
  heartbeatTimeoutMs?: number;
}

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];

export class SyncEngine {
  private readonly options: SyncOptions;
  private readonly filter: PathFilter;
  private readonly model = new Map<string, ModelEntry>();
  private readonly dirty = new Set<string>();
  private readonly rebuildPaths = new Set<string>();
  private agent: SyncAgent | null = null;
  private connector: Connector | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  /** why the engine itself dropped the stream, for the status */
  private killReason: string | undefined;
  private watcher: TreeWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private needFull = true;
  private stopped = false;
  private attempt = 0;
  private idleWaiters: Array<() => void> = [];
  readonly status: SyncStatus;

  constructor(options: SyncOptions) {
    const problem = checkRemoteRoot(options.to);
    if (problem) throw new Error(`sync to ${problem}`);
    this.options = options;
    this.filter = createFilter(options.exclude, options.rebuild);
    this.status = { from: options.from, to: options.to, state: 'connecting', pending: 0, files: 0, reconnects: 0 };
  }

  /** Connects, runs the initial sync and starts watching. Resolves after the initial sync. */
  async start(): Promise<void> {
    // A mistyped `from` must not look like an empty folder: the initial sync would empty the container.
    const st = await stat(this.options.from).catch(() => null);
    if (!st?.isDirectory()) {
      throw new KloopError(`sync from ${this.options.from}: ${st ? 'not a directory' : 'no such directory'}`, {
        hint: 'fix from: of the sync in kloop.yaml (relative to kloop.yaml)',
      });
    }
    if (this.options.watch !== false) this.startWatcher();
    this.startHeartbeat();
    this.needFull = true;
    await this.flush();
    if (this.status.state === 'error' || this.status.state === 'reconnecting') {
      const message = this.status.error ?? 'the initial sync failed';
      await this.stop();
      throw new Error(message);
    }
  }

  /** Drops the current stream (e.g. its pod was replaced); the engine reconnects and resyncs. */
  reconnect(): void {
    this.agent?.kill();
  }

  /** Resolves when no batch is running or waiting (tests and the benchmark wait on it). */
  idle(): Promise<void> {
    if (!this.busy && !this.timer && this.dirty.size === 0 && !this.needFull) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.agent?.close();
    this.agent = null;
    this.setState('stopped');
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private startWatcher(): void {
    this.watcher = new TreeWatcher(
      this.options.from,
      this.filter,
      (rel) => {
        this.markDirty(rel);
        this.schedule();
      },
      (error) => {
        this.status.error = error.message;
        this.setState('error', error.message);
      },
    );
    this.watcher.start();
  }

  // A connection that died silently (VPN switch, NAT timeout) keeps looking open and the sync
  // would stall without a word: an idle stream must answer a no-op request in time, or it is
  // dropped and re-established. Batches are watched the same way, with time for their size.
  private startHeartbeat(): void {
    const every = this.options.heartbeatMs ?? 15_000;
    const within = this.options.heartbeatTimeoutMs ?? 10_000;
    this.heartbeat = setInterval(() => {
      const agent = this.agent;
      if (!agent?.alive || this.stopped) return;
      const started = Date.now();
      const timer = setTimeout(
        () => {
          if (this.agent === agent && agent.alive) {
            this.killReason = `the container did not answer within ${Math.round((Date.now() - started) / 1000)} s`;
            agent.kill();
          }
        },
        within + agent.pendingBytes() / 100_000,
      );
      agent.script(':').then(
        () => clearTimeout(timer),
        () => clearTimeout(timer),
      );
    }, every);
    this.heartbeat.unref();
  }

  private markDirty(rel: string): void {
    const p = normalizeRelative(rel);
    if (!p) return;
    if (this.filter.rebuild(p)) {
      this.rebuildPaths.add(p);
      return;
    }
    this.dirty.add(p);
    this.status.pending = this.dirty.size;
  }

  // 15 ms gathers the events of one save (create + change of one write, an editor's temp file and
  // rename) into one batch: 5 ms split them, and a rebuild glob then asked for two rebuilds. It is
  // a small part of edit → served even under a busy CPU (bench/sync prints the parts).
  private schedule(delay = this.options.debounceMs ?? 15): void {
    if (this.stopped || this.busy || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delay);
  }

  private setState(state: SyncState, error?: string, pending = this.dirty.size): void {
    this.status.state = state;
    this.status.pending = pending;
    this.status.files = this.model.size;
    if (error === undefined) delete this.status.error;
    else this.status.error = error;
    this.options.onStatus?.({ ...this.status });
  }

  private async flush(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      if (this.rebuildPaths.size) {
        const paths = [...this.rebuildPaths];
        this.rebuildPaths.clear();
        this.options.onRebuild?.(paths);
      }
      if (!this.agent) await this.connect();
      if (this.needFull) await this.fullSync();
      else if (this.dirty.size) await this.incremental();
      this.attempt = 0;
      this.setState('in-sync');
    } catch (error) {
      if (this.stopped) return;
      const message = this.killReason ?? (error as Error).message;
      const lost = !this.agent?.alive;
      if (lost) {
        this.agent = null;
        this.needFull = true;
        this.status.reconnects++;
        this.setState('reconnecting', message);
      } else this.setState('error', message);
      const wait = BACKOFF_MS[Math.min(this.attempt++, BACKOFF_MS.length - 1)]!;
      this.busy = false;
      this.schedule(wait);
      return;
    } finally {
      this.busy = false;
    }
    if (this.dirty.size || this.needFull) this.schedule();
    else {
      for (const w of this.idleWaiters.splice(0)) w();
      this.schedulePoll();
    }
  }

  private schedulePoll(): void {
    if (!this.options.download || this.stopped || this.pollTimer) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      void this.poll();
    }, this.options.downloadIntervalMs ?? 3000);
  }

  /** One round of the download direction (only while idle: uploads go first). */
  private async poll(): Promise<void> {
    if (this.busy || this.stopped) {
      this.schedulePoll();
      return;
    }
    if (this.dirty.size || this.needFull || !this.agent?.alive || !this.connector) {
      this.needFull ||= !this.agent?.alive;
      this.schedule();
      return;
    }
    this.busy = true;
    try {
      const round = await downloadRound({
        agent: this.agent,
        connector: this.connector,
        from: this.options.from,
        to: this.options.to,
        model: this.model,
        dirty: this.dirty,
        excluded: (p, isDir) => this.excludedWithParents(p, isDir),
      });
      if (round.conflicts.length) {
        this.status.conflicts = [...(this.status.conflicts ?? []), ...round.conflicts].slice(-20);
        for (const p of round.conflicts) this.dirty.add(p);
      }
      this.status.downloaded = (this.status.downloaded ?? 0) + round.changed;
      if (round.changed || round.conflicts.length) this.setState('in-sync');
    } catch (error) {
      if (!this.stopped)
        this.setState(this.agent?.alive ? 'error' : 'reconnecting', `download: ${(error as Error).message}`);
    } finally {
      this.busy = false;
    }
    if (this.dirty.size || this.needFull || !this.agent?.alive) {
      this.needFull ||= !this.agent?.alive;
      this.schedule();
    } else {
      // idle() called while this round ran waits for it: nothing else would wake it
      if (!this.timer) for (const w of this.idleWaiters.splice(0)) w();
      this.schedulePoll();
    }
  }

  private async connect(): Promise<void> {
    this.setState(this.status.reconnects > 0 ? 'reconnecting' : 'connecting', this.status.error);
    const connector = await this.options.connect();
    const agent = await SyncAgent.start(connector, this.options.to);
    this.connector = connector;
    this.killReason = undefined;
    agent.exited.then(() => {
      if (this.agent !== agent) return;
      this.agent = null;
      this.needFull = true;
      if (!this.stopped && !this.busy) {
        this.status.reconnects++;
        this.setState('reconnecting', this.killReason ?? 'the sync stream ended');
        this.schedule(BACKOFF_MS[0]);
      }
    });
    this.agent = agent;
  }

  /** Lists the container and makes it equal to the local folder. */
  private async fullSync(): Promise<void> {
    const agent = this.agent!;
    this.setState('initial');
    this.needFull = false;
    this.dirty.clear();
    const [remote, local] = await Promise.all([agent.list(), walkLocal(this.options.from, '', this.filter)]);
    this.model.clear();
    for (const r of remote) {
      const p = normalizeRelative(r.path);
      if (!p || this.excludedWithParents(p, r.type === 'dir')) continue;
      this.model.set(p, { type: r.type, mode: r.mode, size: r.size, mtime: r.mtime });
    }
    await this.apply(planBatch([''], local, this.model), true);
  }

  private excludedWithParents(p: string, isDir: boolean): boolean {
    if (this.filter.excluded(p, isDir)) return true;
    for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1))
      if (this.filter.excluded(p.slice(0, i), true)) return true;
    return false;
  }

  private async incremental(): Promise<void> {
    // Parents cover their children: walk each top-most dirty path once.
    const scopes = [...this.dirty].filter((p) => !hasAncestorIn(p, this.dirty)).sort();
    this.dirty.clear();
    this.setState('syncing', undefined, scopes.length);
    const local: LocalEntry[] = [];
    for (const s of scopes) local.push(...(await walkLocal(this.options.from, s, this.filter)));
    try {
      await this.apply(planBatch(scopes, local, this.model), false);
    } catch (error) {
      for (const s of scopes) this.dirty.add(s);
      throw error;
    }
  }

  private async apply(plan: Plan, initial: boolean): Promise<void> {
    const started = performance.now();
    const agent = this.agent!;
    if (plan.rejected.length) this.status.rejected = plan.rejected.map((r) => `${r.path}: ${r.reason}`);
    const total = plan.deletes.length + plan.uploads.length + plan.chmods.length;
    if (total && !initial) this.setState('syncing', undefined, total);
    if (plan.deletes.length) {
      await agent.script(`rm -rf ${plan.deletes.map((d) => shQuote(`./${d}`)).join(' ')}\n`);
      for (const d of plan.deletes) for (const p of this.model.keys()) if (isWithin(p, d)) this.model.delete(p);
    }
    let bytes = 0;
    // Frames are sent without waiting for the previous acknowledgement: the container extracts
    // one while the next is packed and on its way.
    const acks: Promise<void>[] = [];
    for await (const frame of packFrames(this.options.from, plan.uploads)) {
      bytes += frame.tar.length;
      acks.push(
        agent.extract(frame.tar).then(() => {
          for (const e of frame.entries) this.model.set(e.path, toModel(e));
        }),
      );
    }
    await Promise.all(acks);
    if (plan.chmods.length) {
      const lines = plan.chmods.map((c) => `chmod ${c.mode.toString(8)} ${shQuote(`./${c.path}`)}`);
      await agent.script(`${lines.join('\n')}\n`);
    }
    for (const e of [...plan.chmods, ...plan.unchanged]) this.model.set(e.path, toModel(e));
    if (total || initial) {
      this.status.lastBatch = {
        at: new Date().toISOString(),
        uploaded: plan.uploads.length,
        deleted: plan.deletes.length,
        bytes,
        ms: Math.round(performance.now() - started),
      };
      this.options.onBatch?.({ uploaded: plan.uploads.map((u) => u.path), deleted: plan.deletes, initial });
    }
  }
}
