// Everything that happens in a dev session, as one typed union: what watchers, the pod tracker,
// the reconcilers (sync, ports, logs, reload), deploys and connect/intercept beside the session
// report. The store runs each through the reducers (reducers.ts) and hands it with the new state
// to every subscriber, which switch on `type` — none reads meaning out of a string.
import type { LogLine } from './logs.ts';
import type {
  AppState,
  HybridState,
  PodSummary,
  PortStatus,
  ReloadStatus,
  SessionState,
  TargetPhase,
  TargetState,
} from './state.ts';
import type { SyncStatus } from './sync/engine.ts';

export type SessionAction =
  /** the session as a whole: running once every target started, stopping on Ctrl-C, stopped */
  | { type: 'session-phase'; phase: SessionState['phase'] }
  /** a deploy of these apps began (the first one, or a rebuild) */
  | { type: 'deploy-started'; at: string; project: string; apps: string[] }
  /** it ended well; `deployed`: every app it deployed, dependencies' included, with readiness */
  | { type: 'deploy-done'; apps: string[]; ms: number; deployed: Record<string, AppState> }
  | { type: 'deploy-failed'; apps: string[]; ms: number; error: string }
  /** deployed and dev-patched: every target now waits for its pod */
  | { type: 'targets-waiting' }
  /** a target's phase changed outside the pod tracker (running after its start, stopped) */
  | { type: 'target-phase'; target: string; phase: TargetPhase }
  /** the pod tracker: the pod the target works with now, or none (`error`: why, when it is final) */
  | { type: 'pod'; target: string; pod?: { name: string; container: string }; error?: string; started: boolean }
  /** the pod tracker: every pod the target's selector matches, newest first */
  | { type: 'pod-status'; target: string; pods: PodSummary[] }
  /** a sync engine's status (`index`: its place in the target's sync list) */
  | { type: 'sync'; target: string; index: number; status: SyncStatus }
  | { type: 'port'; target: string; port: PortStatus }
  | { type: 'reload'; target: string; reload: ReloadStatus }
  /** the log follower's state */
  | { type: 'log-stream'; target: string; state: TargetState['logs']['state']; lines: number }
  /** one log line of a target's container (changes no state: subscribers print or keep it) */
  | { type: 'log'; line: LogLine }
  /** something the user should read: restored leftovers, rebuilds, wake-ups, debugger notes */
  | { type: 'notice'; message: string; level?: 'info' | 'error' }
  /** rebuild: globs of a target matched these changed paths (the session redeploys its app) */
  | { type: 'rebuild'; target: string; paths: string[] }
  | { type: 'debug'; target: string; debug: NonNullable<TargetState['debug']> }
  /** the debugger attach entries: written to `file`, or (--print-launch) to be printed */
  | { type: 'debug-launch'; configurations: Record<string, unknown>[]; file?: string }
  | { type: 'gitops'; target: string; gitops: NonNullable<TargetState['gitops']> }
  /** a kloop connect / intercept beside the session started or changed (`entry`), or ended (null) */
  | { type: 'hybrid'; key: string; entry: HybridState | null; started?: boolean };

export type ActionType = SessionAction['type'];

/** Actions that only tell something (a line, a notice, a request); the state stays as it was. */
const EVENTS: ReadonlySet<ActionType> = new Set(['log', 'notice', 'rebuild', 'debug-launch']);

export function changesState(action: SessionAction): boolean {
  return !EVENTS.has(action.type);
}

/** The dev target an action is about, if any. */
export function targetOf(action: SessionAction): string | undefined {
  if (action.type === 'log') return action.line.target;
  return 'target' in action ? action.target : undefined;
}

/** Whether the action reports a failure (the dashboard's history marks these). */
export function isProblem(action: SessionAction): boolean {
  switch (action.type) {
    case 'deploy-failed':
      return true;
    case 'pod':
      return Boolean(action.error);
    case 'sync':
      return action.status.state === 'error';
    case 'port':
      return action.port.state === 'error';
    case 'reload':
      return action.reload.state === 'error';
    case 'notice':
      return action.level === 'error';
    case 'gitops':
      return action.gitops.state === 'reverted';
    case 'pod-status':
      return action.pods.some((p) => p.reason);
    default:
      return false;
  }
}

/** One line saying what happened, for people: `-o json`'s `change`, the dashboard's history. */
export function describe(action: SessionAction): string {
  const t = (s: string) => `${targetOf(action)}: ${s}`;
  switch (action.type) {
    case 'session-phase':
      return `session ${action.phase}`;
    case 'deploy-started':
      return `deploying ${action.apps.join(', ')}`;
    case 'deploy-done':
      return `deploy done: ${action.apps.join(', ')}`;
    case 'deploy-failed':
      return `deploy failed: ${action.apps.join(', ')}`;
    case 'targets-waiting':
      return 'deployed';
    case 'target-phase':
      return t(action.phase);
    case 'pod':
      return t(
        action.pod ? `pod ${action.pod.name}` : action.error ? `error: ${action.error}` : 'waiting for a ready pod',
      );
    case 'pod-status': {
      const shown = action.pods.slice(0, 3).map((p) => {
        const what = p.reason ?? (p.ready ? 'ready' : (p.phase ?? 'not ready').toLowerCase());
        return `${p.name} ${what}${p.restarts ? ` (${p.restarts} restart${p.restarts === 1 ? '' : 's'})` : ''}`;
      });
      if (action.pods.length > 3) shown.push(`${action.pods.length - 3} more`);
      return t(`pods ${shown.join(', ') || 'none'}`);
    }
    case 'sync':
      return t(`sync ${action.status.to} ${action.status.state}`);
    case 'port':
      return t(`port ${action.port.local} ${action.port.state}`);
    case 'reload':
      return t(`reload ${action.reload.state}`);
    case 'log-stream':
      return t(`logs ${action.state}`);
    case 'log':
      return t(action.line.text);
    case 'notice':
      return action.message;
    case 'rebuild':
      return t(`rebuild (${action.paths.slice(0, 3).join(', ')}${action.paths.length > 3 ? ' …' : ''})`);
    case 'debug':
      return t(`debug ${action.debug.runtime}`);
    case 'debug-launch':
      return action.file ? `debugger attach entries in ${action.file}` : 'debugger attach entries';
    case 'gitops':
      return t(`gitops ${action.gitops.state}`);
    case 'hybrid':
      return `${action.key} ${action.entry === null ? 'ended' : action.started ? 'started' : 'changed'}`;
  }
}
