// The dev session's one state store, shaped like Tilt's engine store: everything that happens is
// dispatched as a typed action (actions.ts), the reducers (reducers.ts) make the new state, and
// every subscriber — the terminal view, `-o json` / `-o jsonl`, the dashboard, the session's own
// rebuild loop — gets the new state with the action, in dispatch order. Subscribers only read.
import type { SessionAction } from './actions.ts';
import { reduce } from './reducers.ts';
import type { SessionState } from './state.ts';

export type { SessionAction } from './actions.ts';
export type {
  AppState,
  DeployRecord,
  HybridState,
  PodSummary,
  PortStatus,
  ReloadStatus,
  SessionState,
  TargetPhase,
  TargetState,
} from './state.ts';
export { newTarget } from './state.ts';

export type Listener = (state: Readonly<SessionState>, action: SessionAction) => void;

export interface SessionStore {
  get(): Readonly<SessionState>;
  dispatch(action: SessionAction): void;
  subscribe(listener: Listener): () => void;
}

export function createStore(initial: SessionState): SessionStore {
  let state: SessionState = structuredClone(initial);
  const listeners = new Set<Listener>();
  // An action dispatched by a subscriber waits until every subscriber saw the current one, so all
  // of them see the same actions in the same order.
  const queue: SessionAction[] = [];
  let dispatching = false;
  return {
    get: () => state,
    dispatch(action) {
      queue.push(action);
      if (dispatching) return;
      dispatching = true;
      try {
        for (let a = queue.shift(); a; a = queue.shift()) {
          state = reduce(state, a);
          for (const l of [...listeners]) l(state, a);
        }
      } finally {
        // a subscriber that threw leaves the rest queued for the next dispatch
        dispatching = false;
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
