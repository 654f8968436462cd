/// <reference lib="dom" />
// The dashboard page: one EventSource to the session (state, history, logs), cards per app and
// dev target, the log view, and the action buttons. It never talks to the cluster.
import { type Line, LogStore } from './log-store.ts';
import { LogView } from './log-view.ts';
import { appRows, clock, deployRows, esc, hybridRows, type StateView, targetInfo, type TargetView } from './render.ts';

interface Hello {
  actions: string[];
  apps: Record<string, string>;
  logCapacity: number;
}
interface HistoryEntry {
  at: number;
  text: string;
  target?: string;
  level?: 'error' | 'action';
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let hello: Hello = { actions: [], apps: {}, logCapacity: 100_000 };
let state: StateView | null = null;
/** history entries not drawn yet */
let newHistory: HistoryEntry[] = [];
const HISTORY_SHOWN = 150;
let logs = new LogStore();
const colors = new Map<string, number>();
const colorOf = (t: string) => {
  let c = colors.get(t);
  if (c === undefined) {
    c = colors.size % 8;
    colors.set(t, c);
  }
  return c;
};
const view = new LogView($('log-scroll'), $('log-spacer'), logs, colorOf);
const cardInfo = new Map<string, { el: HTMLElement; info: HTMLElement; last: string }>();
let layoutKey = '';
let frame = 0;
let dirtyState = false;
let dirtyHistory = false;

const ACTION_LABELS: Record<string, string> = {
  resync: 'Resync',
  restart: 'Restart process',
  rebuild: 'Rebuild + redeploy',
};

function appOf(target: string): string {
  return hello.apps[target] ?? target;
}

function schedule(): void {
  if (!frame) frame = requestAnimationFrame(draw);
}

function draw(): void {
  frame = 0;
  if (dirtyState && state) drawState(state);
  if (dirtyHistory) drawHistory();
  dirtyState = dirtyHistory = false;
}

function button(label: string, action: string, target: string, extra = ''): string {
  const available = action === 'terminal' || action === 'logs' || hello.actions.includes(action);
  const title = available ? '' : ' title="not available in this session"';
  return `<button type="button" data-action="${action}" data-target="${esc(target)}"${available ? '' : ' disabled'}${title}${extra}>${esc(label)}</button>`;
}

function layout(s: StateView): void {
  const names = Object.keys(s.targets);
  const key = JSON.stringify([names, hello.apps, hello.actions]);
  if (key === layoutKey) return;
  layoutKey = key;
  const groups = new Map<string, string[]>();
  for (const n of names) groups.set(appOf(n), [...(groups.get(appOf(n)) ?? []), n]);
  const html = [...groups]
    .map(
      ([app, targets]) =>
        `<div class="app"><h3>app ${esc(app)}</h3><div class="cards">${targets
          .map(
            (t) => `<article class="card" data-target="${esc(t)}" aria-label="dev target ${esc(t)}">
<header><h4>${esc(t)}</h4></header>
<div class="info"></div>
<div class="actions" role="group" aria-label="actions for ${esc(t)}">
${Object.entries(ACTION_LABELS)
  .map(([a, label]) => button(label, a, t))
  .join('')}
${button('Terminal…', 'terminal', t)}${button('Logs', 'logs', t)}${button('Purge…', 'purge', t, ' class="danger"')}
</div></article>`,
          )
          .join('')}</div></div>`,
    )
    .join('');
  $('apps').innerHTML = html;
  cardInfo.clear();
  for (const el of document.querySelectorAll<HTMLElement>('.card')) {
    cardInfo.set(el.dataset.target!, { el, info: el.querySelector('.info')!, last: '' });
  }
  const select = $<HTMLSelectElement>('log-target');
  const chosen = select.value;
  select.innerHTML = `<option value="">all targets</option>${names.map((n) => `<option>${esc(n)}</option>`).join('')}`;
  select.value = names.includes(chosen) ? chosen : '';
}

let lastHybrid = '';
let lastDeployed = '';

function drawState(s: StateView): void {
  $('project').textContent = s.project;
  const phase = $('phase');
  phase.textContent = s.phase;
  phase.className = `badge s-${s.phase}`;
  layout(s);
  const deployed = appRows(s.apps);
  if (deployed !== lastDeployed) {
    lastDeployed = deployed;
    $('deployed-box').hidden = deployed === '';
    $('deployed').innerHTML = deployed;
  }
  const hybrid = hybridRows(s.hybrid);
  if (hybrid !== lastHybrid) {
    lastHybrid = hybrid;
    $('hybrid-box').hidden = hybrid === '';
    $('hybrid').innerHTML = hybrid;
  }
  for (const [name, t] of Object.entries(s.targets) as [string, TargetView][]) {
    const card = cardInfo.get(name);
    if (!card) continue;
    const html = targetInfo(t);
    if (html === card.last) continue;
    card.last = html;
    card.info.innerHTML = html;
    card.el.dataset.phase = t.phase;
  }
}

function drawHistory(): void {
  $('deploys').innerHTML = deployRows(state?.deploys);
  if (!newHistory.length) return;
  const list = $('history');
  // newest first; only the new entries are added, so a busy session costs little per frame
  const html = newHistory
    .slice(-HISTORY_SHOWN)
    .reverse()
    .map((h) => `<li class="${h.level ?? ''}"><time>${esc(clock(h.at))}</time>${esc(h.text)}</li>`)
    .join('');
  newHistory = [];
  list.insertAdjacentHTML('afterbegin', html);
  while (list.children.length > HISTORY_SHOWN) list.lastElementChild!.remove();
}

function updateCount(): void {
  const shown = logs.view.length;
  const total = logs.size;
  $('log-count').textContent =
    shown === total
      ? `${total.toLocaleString()} lines`
      : `${shown.toLocaleString()} of ${total.toLocaleString()} lines`;
}

let toastTimer = 0;
function toast(message: string, error = false): void {
  const t = $('toast');
  t.textContent = message;
  t.className = `toast show${error ? ' error' : ''}`;
  clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => {
    t.className = 'toast';
  }, 4000);
}

async function act(action: string, target: string, btn?: HTMLButtonElement): Promise<void> {
  if (btn) {
    btn.disabled = true;
    btn.setAttribute('aria-busy', 'true');
  }
  try {
    const res = await fetch(`/api/actions/${encodeURIComponent(action)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target }),
    });
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    if (res.ok) toast(`${target}: ${action} done`);
    else toast(`${target}: ${action} failed: ${body.error ?? res.statusText}`, true);
  } catch (error) {
    toast(`${target}: ${action} failed: ${(error as Error).message}`, true);
  } finally {
    if (btn) {
      btn.disabled = false;
      btn.removeAttribute('aria-busy');
    }
  }
}

function confirmPurge(target: string, btn: HTMLButtonElement): void {
  const app = appOf(target);
  const dialog = $<HTMLDialogElement>('confirm');
  $('confirm-title').textContent = `Purge app ${app}?`;
  $('confirm-text').textContent =
    `This deletes everything kloop deployed for app ${app} (the dev target ${target} goes with it).`;
  $('confirm-cli').textContent = `kloop purge ${app}`;
  dialog.returnValue = '';
  dialog.onclose = () => {
    if (dialog.returnValue === 'ok') void act('purge', target, btn);
    btn.focus();
  };
  dialog.showModal();
}

function showCommands(target: string, btn: HTMLButtonElement): void {
  const app = appOf(target);
  const commands = [
    [`kloop enter ${target}`, 'a shell in the dev container'],
    [`kloop logs ${target}`, 'follow its logs'],
    [`kloop ui resync ${target}`, 'resync (this button)'],
    [`kloop ui restart ${target}`, 'restart the process'],
    [`kloop ui rebuild ${target}`, 'rebuild + redeploy through the session'],
    [`kloop deploy ${app}`, 'build + render + apply the app'],
    [`kloop purge ${app}`, 'delete what kloop deployed for the app'],
  ];
  $('command-title').textContent = `Terminal: ${target}`;
  $('command-list').innerHTML = commands
    .map(
      ([cmd, what], i) =>
        `<li><input readonly value="${esc(cmd)}" aria-label="${esc(what)}" id="cmd-${i}"><button type="button" data-copy="cmd-${i}">Copy</button><span class="muted">${esc(what)}</span></li>`,
    )
    .join('');
  const dialog = $<HTMLDialogElement>('command');
  dialog.onclose = () => btn.focus();
  dialog.showModal();
}

async function copy(input: HTMLInputElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(input.value);
    toast(`copied: ${input.value}`);
  } catch {
    input.select();
    toast('selected: press Ctrl+C to copy');
  }
}

let filterPending = false;
/** refilters after the next paint, so a key press shows at once even with 100,000 lines to scan */
function setFilter(): void {
  if (filterPending) return;
  filterPending = true;
  requestAnimationFrame(() =>
    setTimeout(() => {
      filterPending = false;
      logs.setFilter({
        target: $<HTMLSelectElement>('log-target').value,
        text: $<HTMLInputElement>('log-filter').value,
      });
      updateCount();
      view.schedule();
    }, 0),
  );
}

function wire(): void {
  $('apps').addEventListener('click', (e) => {
    const btn = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]');
    if (!btn) return;
    const target = btn.dataset.target!;
    const action = btn.dataset.action!;
    if (action === 'purge') confirmPurge(target, btn);
    else if (action === 'terminal') showCommands(target, btn);
    else if (action === 'logs') {
      $<HTMLSelectElement>('log-target').value = target;
      setFilter();
      $('log-scroll').focus();
    } else void act(action, target, btn);
  });
  $('command-list').addEventListener('click', (e) => {
    const id = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-copy]')?.dataset.copy;
    if (id) void copy($<HTMLInputElement>(id));
  });
  $('log-filter').addEventListener('input', setFilter);
  $('log-target').addEventListener('change', setFilter);
  const follow = $('log-follow');
  follow.addEventListener('click', () => view.setFollow(follow.getAttribute('aria-pressed') !== 'true'));
  view.onFollowChange = (on) => follow.setAttribute('aria-pressed', String(on));
  $('log-clear').addEventListener('click', () => {
    logs.clear();
    updateCount();
    view.schedule();
  });
}

function connect(): void {
  const conn = $('conn');
  const source = new EventSource('/events');
  source.onopen = () => {
    conn.textContent = 'live';
    conn.className = 'conn';
  };
  source.onerror = () => {
    conn.textContent = 'disconnected: reconnecting… (is kloop dev still running?)';
    conn.className = 'conn down';
  };
  source.addEventListener('hello', (e) => {
    hello = JSON.parse((e as MessageEvent).data) as Hello;
    // the server resends its backlog after every (re)connect
    logs = new LogStore(hello.logCapacity);
    view.setStore(logs);
    newHistory = [];
    $('history').textContent = '';
    layoutKey = '';
    setFilter();
  });
  source.addEventListener('state', (e) => {
    const next = JSON.parse((e as MessageEvent).data) as StateView;
    if (JSON.stringify(next.deploys) !== JSON.stringify(state?.deploys)) dirtyHistory = true;
    state = next;
    dirtyState = true;
    schedule();
  });
  source.addEventListener('history', (e) => {
    newHistory.push(...(JSON.parse((e as MessageEvent).data) as HistoryEntry[]));
    if (newHistory.length > HISTORY_SHOWN * 2) newHistory = newHistory.slice(-HISTORY_SHOWN);
    dirtyHistory = true;
    schedule();
  });
  source.addEventListener('logs', (e) => {
    logs.add(JSON.parse((e as MessageEvent).data) as Line[]);
    updateCount();
    view.schedule();
  });
}

wire();
connect();
