// The server every dev session runs (unless --no-api): 127.0.0.1 only, a random token, the session's
// state (GET /api/state) and actions (POST /api/actions/<action>) for `kloop ui` and `kloop mcp`,
// the page's assets, and one Server-Sent Events channel carrying the session store's state, a
// history of what happened (its actions, described) and the log lines (its log actions). A
// subscriber of the store: it never changes it. The page reads nothing else and never talks to the
// cluster. Its files are loaded on the first request for them, so a session nobody opens in a
// browser never reads them.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { changesState, describe, isProblem, targetOf } from '../dev/actions.ts';
import type { SessionStore } from '../dev/store.ts';
import { KloopError } from '../errors.ts';
import { redact, redactValue } from '../log/redact.ts';
import type { Asset } from './assets.ts';
import { authorize, cookieName, newToken } from './auth.ts';
import { LogBuffer, type WireLine } from './log-buffer.ts';
import { removeDashboardRecord, writeDashboardRecord } from './session-file.ts';

export const ACTIONS = ['resync', 'restart', 'rebuild', 'purge'] as const;
export type ActionName = (typeof ACTIONS)[number];

/** What the buttons do; an absent action shows as unavailable. Each takes a dev target name. */
export type DashboardActions = Partial<Record<ActionName, (target: string) => unknown>>;

export interface DashboardOptions {
  store: SessionStore;
  actions?: DashboardActions;
  /** dev target → app, to group targets per app */
  apps?: Record<string, string>;
  /** default: a free port */
  port?: number;
  /** default: a random one */
  token?: string;
  /** log lines kept for pages that connect later (default 100,000) */
  logCapacity?: number;
  /** entries kept in the change history (default 2,000) */
  historyCapacity?: number;
  /** the project's .kloop/: the URL is written there for `kloop ui` while the dashboard runs */
  stateDir?: string;
}

export interface HistoryEntry {
  at: number;
  text: string;
  /** the target the entry is about, when it is about one */
  target?: string;
  level?: 'error' | 'action';
}

export interface Dashboard {
  /** http://127.0.0.1:<port>/?token=<token> */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const FLUSH_MS = 50;
const BACKLOG_CHUNK = 5_000;
/** a page that stops reading is dropped (it reconnects and gets the backlog) rather than buffered forever */
const MAX_CLIENT_BUFFER = 32 * 1024 * 1024;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const token = o.token ?? newToken();
  const logs = new LogBuffer(o.logCapacity);
  const history: HistoryEntry[] = [];
  const historyCapacity = o.historyCapacity ?? 2_000;
  const clients = new Set<ServerResponse>();
  let pendingLogs: WireLine[] = [];
  let pendingHistory: HistoryEntry[] = [];
  let stateDirty = false;
  let flushTimer: NodeJS.Timeout | null = null;
  let port = 0;

  const send = (res: ServerResponse, event: string, data: unknown) => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (res.writableLength > MAX_CLIENT_BUFFER) {
      clients.delete(res);
      res.destroy();
    }
  };
  const broadcast = (event: string, data: unknown) => {
    for (const c of clients) send(c, event, data);
  };
  const flush = () => {
    flushTimer = null;
    if (stateDirty) broadcast('state', redactValue(o.store.get()));
    if (pendingHistory.length) broadcast('history', pendingHistory);
    if (pendingLogs.length) broadcast('logs', pendingLogs);
    stateDirty = false;
    pendingHistory = [];
    pendingLogs = [];
  };
  const schedule = () => {
    flushTimer ??= setTimeout(flush, FLUSH_MS);
  };
  // the same news about a target twice in a row (a status reported again) is said once
  const lastSaid = new Map<string, string>();
  const remember = (entry: HistoryEntry) => {
    entry.text = redact(entry.text);
    const key = entry.target ?? '';
    if (lastSaid.get(key) === entry.text) return;
    lastSaid.set(key, entry.text);
    history.push(entry);
    if (history.length > historyCapacity) history.splice(0, history.length - historyCapacity);
    pendingHistory.push(entry);
    schedule();
  };

  const unsubscribe = o.store.subscribe((state, action) => {
    if (action.type === 'log') {
      pendingLogs.push(logs.push({ ...action.line, text: redact(action.line.text) }));
      schedule();
      return;
    }
    if (changesState(action)) stateDirty = true;
    else if (action.type !== 'notice') return;
    const target = targetOf(action);
    remember({
      at: Date.now(),
      text: describe(action),
      ...(target && state.targets[target] ? { target } : {}),
      ...(isProblem(action) ? { level: 'error' } : {}),
    });
  });

  const hello = () => ({
    actions: ACTIONS.filter((a) => typeof o.actions?.[a] === 'function'),
    apps: o.apps ?? {},
    logCapacity: o.logCapacity ?? 100_000,
  });

  const events = (req: IncomingMessage, res: ServerResponse) => {
    // what is queued goes out first, so the backlog below does not repeat it to this client
    if (flushTimer) {
      clearTimeout(flushTimer);
      flush();
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
    });
    res.write('retry: 1000\n\n');
    send(res, 'hello', hello());
    send(res, 'state', redactValue(o.store.get()));
    send(res, 'history', history);
    const backlog = logs.since(0);
    for (let i = 0; i < backlog.length; i += BACKLOG_CHUNK) send(res, 'logs', backlog.slice(i, i + BACKLOG_CHUNK));
    clients.add(res);
    req.on('close', () => clients.delete(res));
  };

  const action = async (name: string, req: IncomingMessage, res: ServerResponse) => {
    const fn = (ACTIONS as readonly string[]).includes(name) ? o.actions?.[name as ActionName] : undefined;
    if (!fn) return json(res, 404, { error: `no action "${name}" in this session` });
    if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
      return json(res, 415, { error: 'send a JSON body {"target": "<dev target>"}' });
    let body: { target?: unknown };
    try {
      body = JSON.parse(await readBody(req)) as { target?: unknown };
    } catch {
      return json(res, 400, { error: 'the body is not JSON' });
    }
    const target = typeof body.target === 'string' ? body.target : '';
    if (!o.store.get().targets[target])
      return json(res, 404, {
        error: `no dev target "${target}" in this session`,
        targets: Object.keys(o.store.get().targets),
      });
    remember({ at: Date.now(), text: `${target}: ${name} requested`, target, level: 'action' });
    try {
      await fn(target);
      remember({ at: Date.now(), text: `${target}: ${name} done`, target, level: 'action' });
      json(res, 200, { ok: true });
    } catch (error) {
      const message = redact((error as Error).message);
      remember({ at: Date.now(), text: `${target}: ${name} failed: ${message}`, target, level: 'error' });
      json(res, 500, { error: message });
    }
  };

  let assets: Promise<Map<string, Asset>> | undefined;
  const page = (req: IncomingMessage, res: ServerResponse, pathname: string) => {
    assets ??= import('./assets.ts').then((m) => m.pageAssets());
    assets.then(
      (all) => {
        const a = all.get(pathname);
        if (!a) return json(res, 404, { error: `nothing at ${pathname}` });
        const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          'content-type': a.type,
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
          vary: 'accept-encoding',
        });
        res.end(req.method === 'HEAD' ? undefined : gzip ? a.gzip : a.body);
      },
      (error: Error) => json(res, 500, { error: `the dashboard's page could not be loaded: ${error.message}` }),
    );
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const verdict = authorize(req, url, token, port);
    if (!verdict.ok) {
      res.writeHead(verdict.status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      res.end(
        `${verdict.status === 401 ? 'Unauthorized' : 'Forbidden'}: ${verdict.reason}. Open the URL that \`kloop ui\` or \`kloop dev --ui\` printed (it carries ?token=).\n`,
      );
      return;
    }
    if (verdict.viaQuery) {
      // trade the token for a cookie and drop it from the address bar and history
      url.searchParams.delete('token');
      res.writeHead(303, {
        ...SECURITY_HEADERS,
        'set-cookie': `${cookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`,
        location: `${url.pathname}${url.search}`,
      });
      res.end();
      return;
    }
    if (req.method === 'POST' && url.pathname.startsWith('/api/actions/')) {
      void action(decodeURIComponent(url.pathname.slice('/api/actions/'.length)), req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: `${req.method} is not allowed` });
    if (url.pathname === '/events') return events(req, res);
    if (url.pathname === '/api/state') return json(res, 200, { ...hello(), state: redactValue(o.store.get()) });
    if (url.pathname.startsWith('/api/')) return json(res, 404, { error: `nothing at ${url.pathname}` });
    page(req, res, url.pathname);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new KloopError(`port ${o.port} on 127.0.0.1 is in use: the dashboard cannot listen there`, {
              hint: 'pick another port, or leave the port out to get a free one',
            })
          : error,
      ),
    );
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const heartbeat = setInterval(() => {
    for (const c of clients) c.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();
  const url = `http://127.0.0.1:${port}/?token=${token}`;
  if (o.stateDir) {
    const record = {
      url,
      port,
      token,
      pid: process.pid,
      project: o.store.get().project,
      startedAt: new Date().toISOString(),
    };
    await writeDashboardRecord(o.stateDir, record).catch(async (error: Error) => {
      await new Promise((resolve) => server.close(resolve));
      throw new KloopError(`could not write the dashboard's address into ${o.stateDir}: ${error.message}`, {
        hint: 'check that the project directory is writable',
      });
    });
  }

  return {
    url,
    port,
    token,
    async close() {
      unsubscribe();
      clearInterval(heartbeat);
      if (flushTimer) clearTimeout(flushTimer);
      for (const c of clients) c.end();
      clients.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (o.stateDir) await removeDashboardRecord(o.stateDir, token).catch(() => {});
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      text += c;
      if (text.length > limit) {
        reject(new Error('body too large'));
        req.destroy();
      }
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
