// What the terminal shows of a session, as a subscriber of its store: one status line per target
// whenever its summary changes, log lines prefixed and coloured per target, notices. `-o json`
// prints every state change (with what happened, `change`), every log line and notice as a JSON
// line instead (editors and scripts read these).
import pc from 'picocolors';
import { type SessionAction, changesState, describe } from './actions.ts';
import type { AppState, HybridState, SessionState, TargetState } from './state.ts';
import type { SessionStore } from './store.ts';

const PALETTE = [pc.cyan, pc.magenta, pc.yellow, pc.green, pc.blue, pc.red];

export function summarize(t: TargetState): string {
  const parts: string[] = [];
  if (t.phase === 'error') parts.push(`error: ${t.error ?? 'unknown'}`);
  else if (t.phase !== 'running') parts.push(t.phase === 'reconnecting' ? 'waiting for a ready pod' : t.phase);
  if (t.pod) parts.push(`pod ${t.pod}`);
  // a pod that cannot run (the patched one crash-looping while the old one still serves, say)
  const sick = t.pods?.find((p) => p.reason);
  if (sick)
    parts.push(
      `pod ${sick.name} ${sick.reason}${sick.restarts ? ` (${sick.restarts} restart${sick.restarts === 1 ? '' : 's'})` : ''}`,
    );
  for (const s of t.sync) {
    if (!s) continue;
    const what =
      s.state === 'in-sync'
        ? 'in sync'
        : s.state === 'syncing'
          ? `syncing ${s.pending} file${s.pending === 1 ? '' : 's'}`
          : s.state === 'error' || s.state === 'reconnecting'
            ? `${s.state}${s.error ? ` (${s.error})` : ''}`
            : s.state;
    parts.push(`sync ${s.to} ${what}`);
  }
  for (const p of t.ports) parts.push(`127.0.0.1:${p.local}→${p.remote} ${p.state}${p.error ? ` (${p.error})` : ''}`);
  if (t.debug) {
    const where =
      t.debug.runtime === 'node' && t.debug.port
        ? `ws://127.0.0.1:${t.debug.port}`
        : t.debug.port
          ? `127.0.0.1:${t.debug.port}`
          : 'over kloop enter';
    parts.push(
      `${t.debug.runtime} debugger ${where}${t.debug.wait ? ' (waiting)' : ''}: attach with "${t.debug.attach}"`,
    );
  }
  if (t.reload?.at) {
    const when = t.reload.at.slice(11, 19);
    parts.push(
      `${t.reload.kind} #${t.reload.count} at ${when}${t.reload.state === 'error' ? ` failed: ${t.reload.error}` : ''}`,
    );
  }
  return parts.join(' · ');
}

/** A kloop connect / intercept running beside the session, in one line. */
export function summarizeHybrid(h: HybridState): string {
  const s = (h.state ?? {}) as {
    phase?: string;
    service?: string;
    target?: string;
    port?: number;
    local?: number;
    header?: string;
    namespace?: string;
    services?: unknown[];
    process?: { state?: string };
  };
  if (h.kind === 'intercept') {
    const what = `${s.service ?? s.target ?? ''}${s.port ? `:${s.port}` : ''}${s.header ? ` (requests with ${s.header})` : ''}`;
    return `intercept ${what} → 127.0.0.1:${s.local ?? '?'} ${s.phase ?? 'starting'} (pid ${h.pid})`;
  }
  return `connect ${s.target ?? s.namespace ?? ''}: ${s.services?.length ?? 0} Services reachable, process ${s.process?.state ?? 'starting'} (pid ${h.pid})`;
}

export interface ViewOptions {
  json: boolean;
  color: boolean;
  write: (line: string) => void;
}

export function attachView(store: SessionStore, o: ViewOptions): { say(m: string): void; close(): void } {
  const last = new Map<string, string>();
  const colorOf = new Map<string, (s: string) => string>();
  const names = Object.keys(store.get().targets);
  const width = Math.max(...names.map((n) => n.length), 3);
  names.forEach((n, i) => {
    colorOf.set(n, o.color ? PALETTE[i % PALETTE.length]! : (s) => s);
  });
  const prefix = (n: string) => colorOf.get(n)?.(n.padEnd(width)) ?? n.padEnd(width);
  const say = (m: string) => {
    if (o.json) o.write(JSON.stringify({ type: 'notice', message: m }));
    else o.write(`${o.color ? pc.dim('kloop') : 'kloop'} ${m}`);
  };
  const onAction = (state: Readonly<SessionState>, action: SessionAction) => {
    if (action.type === 'log') {
      const l = action.line;
      if (o.json) o.write(JSON.stringify({ type: 'log', ...l }));
      else o.write(`${prefix(l.target)} │ ${l.text}`);
      return;
    }
    if (action.type === 'notice') return say(action.message);
    if (!changesState(action)) return;
    if (o.json) {
      o.write(JSON.stringify({ type: 'state', change: describe(action), action, state }));
      return;
    }
    for (const t of Object.values(state.targets)) {
      const line = summarize(t);
      if (last.get(t.name) === line) continue;
      last.set(t.name, line);
      o.write(`${prefix(t.name)} ${o.color ? pc.bold('●') : '*'} ${line}`);
    }
    for (const [name, a] of Object.entries(state.apps ?? {})) {
      const line = summarizeApp(name, a);
      if (last.get(`app:${name}`) === line || a.state === 'deploying') continue;
      last.set(`app:${name}`, line);
      o.write(`${o.color ? pc.dim('kloop') : 'kloop'} ${line}`);
    }
    const hybrid = state.hybrid ?? {};
    for (const [key, h] of Object.entries(hybrid)) {
      const line = summarizeHybrid(h);
      if (last.get(`hybrid:${key}`) === line) continue;
      last.set(`hybrid:${key}`, line);
      o.write(`${o.color ? pc.dim('kloop') : 'kloop'} ${line}`);
    }
    for (const key of [...last.keys()].filter((k) => k.startsWith('hybrid:') && !hybrid[k.slice(7)])) {
      last.delete(key);
      o.write(`${o.color ? pc.dim('kloop') : 'kloop'} ${key.slice(7).replace('-', ' (pid ')}) ended`);
    }
  };
  const unsubscribe = store.subscribe(onAction);
  return { say, close: () => unsubscribe() };
}

/** One line for an app the session deployed: `app cache (dependency db): ready (unchanged)`. */
export function summarizeApp(name: string, a: AppState): string {
  const from = a.dependency ? ` (dependency ${a.dependency})` : '';
  if (a.dependency) name = name.slice(a.dependency.length + 1);
  const what = a.state === 'ready' ? `ready${a.result ? ` (${a.result})` : ''}` : a.state;
  return `app ${name}${from}: ${what}${a.problem ? `: ${a.problem}` : ''}`;
}
