// The dev session's part of `-o jsonl`, as a subscriber of its store: log lines, notices, finished
// reloads, pods whose readiness or problem changed and connect/intercept processes beside the
// session as they are dispatched, and from the state, the session's and each target's phase, each
// sync batch the container applied, sync errors. Reports nothing of its own.
import { emit } from '../log/events.ts';
import type { SessionAction } from './actions.ts';
import type { SessionState } from './state.ts';
import type { SessionStore } from './store.ts';
import { summarizeHybrid } from './view.ts';

export function attachEvents(store: SessionStore): { close(): void } {
  let phase = '';
  const targetPhase = new Map<string, string>();
  const batches = new Map<string, string>();
  const syncState = new Map<string, string>();
  const onChange = (s: Readonly<SessionState>) => {
    if (s.phase !== phase) {
      phase = s.phase;
      emit({ type: 'session', phase });
    }
    for (const t of Object.values(s.targets)) {
      const key = `${t.phase}\0${t.pod ?? ''}\0${t.error ?? ''}`;
      if (targetPhase.get(t.name) !== key) {
        targetPhase.set(t.name, key);
        emit({
          type: 'session',
          phase: t.phase,
          target: t.name,
          ...(t.pod ? { pod: t.pod } : {}),
          ...(t.error ? { error: t.error } : {}),
        });
      }
      for (const sync of t.sync) {
        if (!sync) continue;
        const id = `${t.name}\0${sync.to}`;
        const b = sync.lastBatch;
        if (b && batches.get(id) !== b.at) {
          batches.set(id, b.at);
          emit({
            type: 'sync',
            target: t.name,
            to: sync.to,
            state: sync.state,
            uploaded: b.uploaded,
            deleted: b.deleted,
            bytes: b.bytes,
            ms: b.ms,
          });
        }
        const st = `${sync.state}\0${sync.error ?? ''}`;
        if (syncState.get(id) !== st && (sync.state === 'error' || sync.state === 'reconnecting')) {
          emit({
            type: 'sync',
            target: t.name,
            to: sync.to,
            state: sync.state,
            ...(sync.error ? { error: sync.error } : {}),
          });
        }
        syncState.set(id, st);
      }
    }
  };
  const podSeen = new Map<string, string>();
  onChange(store.get());
  const unsubscribe = store.subscribe((state: Readonly<SessionState>, action: SessionAction) => {
    if (action.type === 'log') {
      const l = action.line;
      emit({ type: 'log', target: l.target, pod: l.pod, container: l.container, text: l.text });
    } else if (action.type === 'notice')
      emit({ type: 'message', level: action.level === 'error' ? 'warning' : 'info', text: action.message });
    else if (action.type === 'reload') {
      const r = action.reload;
      if (r.state !== 'running')
        emit({
          type: 'reload',
          target: action.target,
          kind: r.kind,
          state: r.state === 'error' ? 'failed' : 'done',
          count: r.count,
          ...(r.error ? { error: r.error } : {}),
        });
      onChange(state);
    } else if (action.type === 'pod-status') {
      for (const p of action.pods) {
        const ready = p.ready ?? false;
        const restarts = p.restarts ?? 0;
        const key = JSON.stringify([p.phase, ready, restarts, p.reason]);
        const id = `${action.target}\0${p.name}`;
        if (podSeen.get(id) === key) continue;
        podSeen.set(id, key);
        emit({
          type: 'pod',
          target: action.target,
          pod: p.name,
          ...(p.phase ? { phase: p.phase } : {}),
          ready,
          restarts,
          ...(p.reason ? { reason: p.reason } : {}),
        });
      }
    } else if (action.type === 'hybrid') {
      const [kind, pid] = action.key.split('-') as ['connect' | 'intercept', string];
      emit(
        action.entry
          ? {
              type: 'hybrid',
              key: action.key,
              kind: action.entry.kind,
              pid: action.entry.pid,
              change: action.started ? 'started' : 'changed',
              summary: summarizeHybrid(action.entry),
              ...(action.entry.state && typeof action.entry.state === 'object' ? { state: action.entry.state } : {}),
            }
          : { type: 'hybrid', key: action.key, kind, pid: Number(pid), change: 'ended' },
      );
    } else onChange(state);
  });
  return { close: () => unsubscribe() };
}
