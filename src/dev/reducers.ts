// The only code that makes a new session state: pure functions (state, action) → state, one per
// part of the state, like Tilt's reducers. They copy what they change and share the rest, so an
// earlier snapshot a subscriber holds never changes under it, and an action that changes nothing
// (a log line, a notice) costs no copy.
import type { SessionAction } from './actions.ts';
import type { AppState, DeployRecord, HybridState, SessionState, TargetState } from './state.ts';

/** the session's deploy history keeps this many */
export const DEPLOY_HISTORY = 50;

export function reduce(state: SessionState, action: SessionAction): SessionState {
  switch (action.type) {
    case 'session-phase':
      return state.phase === action.phase ? state : { ...state, phase: action.phase };
    case 'deploy-started':
    case 'deploy-done':
    case 'deploy-failed':
      return reduceDeploys(state, action);
    case 'hybrid':
      return { ...state, hybrid: reduceHybrid(state.hybrid ?? {}, action) };
    case 'targets-waiting': {
      const targets: Record<string, TargetState> = {};
      for (const [name, t] of Object.entries(state.targets)) targets[name] = { ...t, phase: 'waiting-for-pod' };
      return { ...state, targets };
    }
    case 'log':
    case 'notice':
    case 'rebuild':
    case 'debug-launch':
      return state;
    default: {
      const t = state.targets[action.target];
      if (!t) return state;
      const next = reduceTarget(t, action);
      return next === t ? state : { ...state, targets: { ...state.targets, [action.target]: next } };
    }
  }
}

type TargetAction = Extract<SessionAction, { target: string }>;

/** One dev target's part: its pod, pods, syncs, ports, reload, logs, debugger, GitOps owner. */
export function reduceTarget(t: TargetState, action: TargetAction): TargetState {
  switch (action.type) {
    case 'target-phase':
      return { ...t, phase: action.phase };
    case 'pod': {
      if (action.pod) {
        const { error: _, ...rest } = t;
        const name = action.pod.name;
        return {
          ...rest,
          pod: name,
          container: action.pod.container,
          podHistory: t.podHistory.at(-1) === name ? t.podHistory : [...t.podHistory, name],
          phase: action.started ? 'running' : 'starting',
        };
      }
      return action.error ? { ...t, phase: 'error', error: action.error } : { ...t, phase: 'reconnecting' };
    }
    case 'pod-status':
      return { ...t, pods: action.pods };
    case 'sync': {
      const sync = [...t.sync];
      sync[action.index] = action.status;
      return { ...t, sync };
    }
    case 'port': {
      const i = t.ports.findIndex((p) => p.local === action.port.local);
      const ports = i >= 0 ? t.ports.map((p, j) => (j === i ? action.port : p)) : [...t.ports, action.port];
      return { ...t, ports };
    }
    case 'reload':
      return { ...t, reload: action.reload };
    case 'log-stream':
      return { ...t, logs: { state: action.state, lines: action.lines } };
    case 'debug':
      return { ...t, debug: action.debug };
    case 'gitops':
      return { ...t, gitops: action.gitops };
    case 'rebuild':
      return t;
  }
}

type DeployAction = Extract<SessionAction, { type: 'deploy-started' | 'deploy-done' | 'deploy-failed' }>;

/** The deploy history (the last 50) and every app the session deployed, with readiness and its first problem. */
export function reduceDeploys(state: SessionState, action: DeployAction): SessionState {
  const apps: Record<string, AppState> = { ...state.apps };
  const deploys: DeployRecord[] = [...(state.deploys ?? [])];
  switch (action.type) {
    case 'deploy-started':
      deploys.push({ at: action.at, apps: action.apps, state: 'running' });
      for (const a of action.apps) apps[a] = { ...apps[a], project: action.project, state: 'deploying', at: action.at };
      return { ...state, deploys: deploys.slice(-DEPLOY_HISTORY), apps };
    case 'deploy-done': {
      // deploys never overlap (rebuilds queue behind each other): the last record is this one
      const last = deploys.at(-1);
      if (last) deploys[deploys.length - 1] = { ...last, state: 'ok', ms: action.ms };
      return { ...state, deploys, apps: { ...apps, ...action.deployed } };
    }
    case 'deploy-failed': {
      const last = deploys.at(-1);
      if (last) deploys[deploys.length - 1] = { ...last, state: 'error', ms: action.ms, error: action.error };
      for (const a of action.apps) if (apps[a]) apps[a] = { ...apps[a], state: 'failed', problem: action.error };
      return { ...state, deploys, apps };
    }
  }
}

/** kloop connect / intercept processes beside the session, by "<kind>-<pid>". */
export function reduceHybrid(
  hybrid: Record<string, HybridState>,
  action: Extract<SessionAction, { type: 'hybrid' }>,
): Record<string, HybridState> {
  const { [action.key]: _, ...rest } = hybrid;
  return action.entry === null ? rest : { ...hybrid, [action.key]: action.entry };
}
