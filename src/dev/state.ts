// What a dev session knows, as one plain JSON value: the session's phase, each target's pod, syncs,
// ports, reload, logs, debugger and GitOps owner, the deploys and apps, the connect/intercept
// processes beside it. Only the reducers (reducers.ts) make a new one; everything else reads it.
import type { SyncStatus } from './sync/engine.ts';

export type TargetPhase =
  | 'deploying'
  | 'waiting-for-pod'
  | 'starting'
  | 'running'
  | 'reconnecting'
  | 'error'
  | 'stopped';

export interface PortStatus {
  local: number;
  remote: number;
  state: 'starting' | 'forwarding' | 'reconnecting' | 'error' | 'closed';
  error?: string;
  connections: number;
}

export interface ReloadStatus {
  kind: 'restart' | 'exec';
  state: 'idle' | 'running' | 'error';
  at?: string;
  error?: string;
  count: number;
}

/** A pod of the target as the session sees it (the dashboard shows these). */
export interface PodSummary {
  name: string;
  phase?: string;
  ready?: boolean;
  restarts?: number;
  /** why it is not ready: CrashLoopBackOff, ErrImageNeverPull, a failing probe… */
  reason?: string;
}

export interface TargetState {
  name: string;
  namespace: string;
  phase: TargetPhase;
  pod?: string;
  container?: string;
  /** pods this target has used, newest last (replacements are visible) */
  podHistory: string[];
  error?: string;
  sync: SyncStatus[];
  ports: PortStatus[];
  reload?: ReloadStatus;
  logs: { state: 'off' | 'following' | 'reconnecting'; lines: number };
  /** every pod the target's selector matches, newest first */
  pods?: PodSummary[];
  /** kloop dev --debug: the runtime's debugger, its forwarded port and the launch.json entry to attach with */
  debug?: { runtime: string; port?: number; wait: boolean; attach: string };
  /** the Flux / Argo CD object that reconciles the target's workload, and what the session did about it */
  gitops?: { owner: string; state: 'paused' | 'not-paused' | 'reverted'; note?: string };
}

export interface HybridState {
  kind: 'connect' | 'intercept';
  pid: number;
  /** the command's own state (see src/hybrid/connect.ts ConnectState, intercept.ts InterceptState) */
  state: unknown;
}

export interface SessionState {
  project: string;
  startedAt: string;
  phase: 'starting' | 'running' | 'stopping' | 'stopped';
  targets: Record<string, TargetState>;
  /** kloop connect / intercept processes of the project running beside the session, by "<kind>-<pid>" */
  hybrid?: Record<string, HybridState>;
  /** the session's deploys (the first one and each rebuild), oldest first, the last 50 */
  deploys?: DeployRecord[];
  /**
   * every app the session deployed, dependencies included, by name (`<dependency>/<app>` for a
   * dependency project's): readiness as the last deploy found it and its first problem
   */
  apps?: Record<string, AppState>;
}

export interface AppState {
  /** the project the app belongs to (the session's, or a dependency project's) */
  project: string;
  /** the dependency (from kloop.yaml dependencies:) it came with; absent: the session's own */
  dependency?: string;
  namespace?: string;
  /** deploying; ready: applied (or unchanged) and ready when the deploy ended; failed: see problem */
  state: 'deploying' | 'ready' | 'failed';
  /** what the last deploy did: applied, unchanged, removed */
  result?: string;
  /** the first problem, as the deploy reported it */
  problem?: string;
  at: string;
}

export interface DeployRecord {
  at: string;
  apps: string[];
  state: 'running' | 'ok' | 'error';
  ms?: number;
  error?: string;
}

export function newTarget(name: string, namespace: string): TargetState {
  return {
    name,
    namespace,
    phase: 'waiting-for-pod',
    podHistory: [],
    sync: [],
    ports: [],
    logs: { state: 'off', lines: 0 },
  };
}
