// What a dev target's card says, as HTML text (every value escaped). Pure functions of the
// session state, so a card is redrawn only when its own target changed.
import type { AppState, DeployRecord, SessionState, TargetState } from '../../dev/store.ts';

export type { DeployRecord, PodSummary } from '../../dev/store.ts';
export type TargetView = TargetState;
export type StateView = SessionState;

export function esc(s: unknown): string {
  return String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function badge(state: string, label = state): string {
  return `<span class="badge s-${esc(state)}">${esc(label)}</span>`;
}

export function clock(iso: string | number | undefined): string {
  if (iso === undefined || iso === '') return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour12: false });
}

export function phaseLabel(t: TargetState): string {
  return t.phase === 'reconnecting' ? 'waiting for a ready pod' : t.phase.replace(/-/g, ' ');
}

function ms(n: number): string {
  return n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`;
}

function podRows(t: TargetView): string {
  const rows: string[] = [];
  if (t.pods?.length) {
    for (const p of t.pods) {
      const bits = [
        p.ready ? badge('ok', 'ready') : badge(p.reason ? 'error' : 'waiting-for-pod', p.phase ?? 'not ready'),
      ];
      if (p.restarts) bits.push(`<span class="${p.restarts > 0 ? 's-error' : ''}">${p.restarts} restarts</span>`);
      if (p.reason) bits.push(`<span class="reason">${esc(p.reason)}</span>`);
      rows.push(`<dt>pod</dt><dd><span class="mono">${esc(p.name)}</span> ${bits.join(' ')}</dd>`);
    }
  } else if (t.pod) {
    rows.push(
      `<dt>pod</dt><dd><span class="mono">${esc(t.pod)}</span>${t.container ? ` · ${esc(t.container)}` : ''}</dd>`,
    );
  }
  if (t.podHistory.length > 1) rows.push(`<dt>replaced</dt><dd>${t.podHistory.length - 1}×</dd>`);
  return rows.join('');
}

function syncRows(t: TargetState): string {
  return t.sync
    .filter(Boolean)
    .map((s) => {
      const parts = [badge(s.state, s.state.replace(/-/g, ' '))];
      if (s.pending) parts.push(`${s.pending} pending`);
      if (s.lastBatch)
        parts.push(
          `last ${ms(s.lastBatch.ms)} at ${esc(clock(s.lastBatch.at))} (${s.lastBatch.uploaded} up, ${s.lastBatch.deleted} deleted)`,
        );
      if (s.reconnects) parts.push(`${s.reconnects} reconnects`);
      if (s.error) parts.push(`<span class="reason">${esc(s.error)}</span>`);
      if (s.rejected?.length)
        parts.push(`<span class="reason">refused: ${esc(s.rejected.slice(0, 3).join(', '))}</span>`);
      return `<dt>sync</dt><dd><span class="mono">${esc(s.to)}</span> ${parts.join(' · ')}</dd>`;
    })
    .join('');
}

function portRows(t: TargetState): string {
  return t.ports
    .map((p) => {
      const link = `<a href="http://127.0.0.1:${p.local}/" target="_blank" rel="noopener noreferrer">127.0.0.1:${p.local}</a>`;
      const err = p.error ? ` <span class="reason">${esc(p.error)}</span>` : '';
      return `<dt>port</dt><dd>${link} → ${p.remote} ${badge(p.state)}${p.connections ? ` · ${p.connections} open` : ''}${err}</dd>`;
    })
    .join('');
}

function reloadRow(t: TargetState): string {
  const r = t.reload;
  if (!r) return '';
  const when = r.at ? `#${r.count} at ${esc(clock(r.at))}` : 'not yet';
  const err = r.state === 'error' && r.error ? ` <span class="reason">${esc(r.error)}</span>` : '';
  return `<dt>reload</dt><dd>${esc(r.kind)} ${badge(r.state)} ${when}${err}</dd>`;
}

function debugRow(t: TargetState): string {
  const d = t.debug;
  if (!d) return '';
  const where = d.port
    ? `<span class="mono">${d.runtime === 'node' ? 'ws://' : ''}127.0.0.1:${d.port}</span>`
    : 'over kloop enter';
  return `<dt>debug</dt><dd>${esc(d.runtime)} ${where}${d.wait ? ' (waiting for a debugger)' : ''} · attach with <span class="mono">${esc(d.attach)}</span></dd>`;
}

function gitopsRow(t: TargetState): string {
  const g = t.gitops;
  if (!g) return '';
  return `<dt>gitops</dt><dd>${esc(g.owner)} ${badge(g.state === 'reverted' ? 'error' : g.state, g.state)}${g.note ? ` <span class="${g.state === 'reverted' ? 'reason' : 'muted'}">${esc(g.note)}</span>` : ''}</dd>`;
}

/** the card's information block */
export function targetInfo(t: TargetView): string {
  const reason = t.phase === 'error' || t.error ? `<p class="reason" role="alert">${esc(t.error ?? 'error')}</p>` : '';
  return `${reason}<dl>
<dt>state</dt><dd>${badge(t.phase, phaseLabel(t))} <span class="muted">${esc(t.namespace)}</span></dd>
${podRows(t)}${syncRows(t)}${portRows(t)}${debugRow(t)}${gitopsRow(t)}${reloadRow(t)}
<dt>logs</dt><dd>${badge(t.logs.state)} ${t.logs.lines} lines</dd>
</dl>`;
}

export function deployRows(deploys: readonly DeployRecord[] | undefined): string {
  if (!deploys?.length) return '';
  return deploys
    .slice(-20)
    .reverse()
    .map(
      (d) =>
        `<li class="${d.state === 'error' ? 'error' : ''}"><time>${esc(clock(d.at))}</time>deploy ${esc(d.apps.join(', '))} ${badge(d.state)}${d.ms ? ` ${ms(d.ms)}` : ''}${d.error ? ` ${esc(d.error)}` : ''}</li>`,
    )
    .join('');
}

interface HybridView {
  kind: 'connect' | 'intercept';
  pid: number;
  state: {
    phase?: string;
    target?: string;
    service?: string;
    port?: number;
    local?: number;
    header?: string;
    warning?: string;
    namespace?: string;
    proxy?: string;
    services?: unknown[];
    process?: { state?: string };
  };
}

/** One line per kloop connect / intercept running beside the session. */
export function hybridRows(hybrid: Record<string, unknown> | undefined): string {
  return Object.values(hybrid ?? {})
    .map((raw) => {
      const h = raw as HybridView;
      const s = h.state ?? {};
      if (h.kind === 'intercept') {
        const what = `${s.service ?? s.target ?? ''}${s.port ? `:${s.port}` : ''}`;
        const only = s.header ? ` (requests with ${esc(s.header)})` : '';
        const warn = s.warning ? ` <span class="reason">${esc(s.warning)}</span>` : '';
        return `<li>intercept ${esc(what)} → 127.0.0.1:${esc(s.local)}${only} ${badge(s.phase ?? 'starting')}${warn} <span class="muted">pid ${esc(h.pid)}</span></li>`;
      }
      const n = s.services?.length ?? 0;
      return `<li>connect ${esc(s.target ?? s.namespace ?? '')}: ${n} Services, proxy ${esc(s.proxy ?? '…')} ${badge(s.process?.state ?? 'starting')} <span class="muted">pid ${esc(h.pid)}</span></li>`;
    })
    .join('');
}

/** Every app the session deployed (dependencies included): readiness and the first problem. */
export function appRows(apps: Readonly<Record<string, AppState>> | undefined): string {
  return Object.entries(apps ?? {})
    .map(([name, a]) => {
      const own = a.dependency ? name.slice(a.dependency.length + 1) : name;
      const from = a.dependency ? ` <span class="muted">dependency ${esc(a.dependency)}</span>` : '';
      const state =
        a.state === 'ready' ? badge('ok', 'ready') : badge(a.state === 'failed' ? 'error' : 'deploying', a.state);
      const ns = a.namespace ? ` <span class="muted">${esc(a.namespace)}</span>` : '';
      const problem = a.problem ? ` <span class="reason">${esc(a.problem)}</span>` : '';
      return `<li data-app="${esc(name)}">${esc(own)}${from} ${state}${ns}${problem}</li>`;
    })
    .join('');
}
