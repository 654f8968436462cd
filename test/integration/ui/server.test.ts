// The dashboard server over real HTTP, and `kloop ui` run as a user runs it against it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createStore, newTarget } from '../../../src/dev/store.ts';
import { type Dashboard, startDashboard } from '../../../src/ui/server.ts';
import { dashboardFile } from '../../../src/ui/session-file.ts';
import { runCli } from '../../helpers/cli.ts';

async function kloop(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await runCli(args, { cwd, env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
  return { ...r, code: r.code ?? 1 };
}

/** reads SSE events until `until` says stop */
async function readEvents(
  url: string,
  headers: Record<string, string>,
  until: (events: Array<{ event: string; data: unknown }>) => boolean,
): Promise<Array<{ event: string; data: unknown }>> {
  const ac = new AbortController();
  const res = await fetch(url, { headers, signal: ac.signal });
  assert.equal(res.status, 200);
  const events: Array<{ event: string; data: unknown }> = [];
  let buf = '';
  const timer = setTimeout(() => ac.abort(), 10_000);
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += Buffer.from(chunk).toString();
      let end = buf.indexOf('\n\n');
      while (end >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
        end = buf.indexOf('\n\n');
      }
      if (until(events)) break;
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return events;
}

describe('the dashboard server', () => {
  let dir = '';
  let dash: Dashboard;
  const calls: string[] = [];
  const store = createStore({
    project: 'shop',
    startedAt: '',
    phase: 'running',
    targets: { web: newTarget('web', 'default'), api: newTarget('api', 'default') },
  });

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kloop-ui-server-'));
    writeFileSync(path.join(dir, 'kloop.yaml'), 'version: v1\nname: shop\n');
    dash = await startDashboard({
      store,
      stateDir: path.join(dir, '.kloop'),
      apps: { web: 'web', api: 'api' },
      actions: {
        resync: (t) => {
          calls.push(`resync ${t}`);
        },
        restart: async () => {
          throw new Error('the container has no restart loop');
        },
      },
    });
  });
  after(async () => {
    await dash?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('requests without the token are refused; the token is traded for a cookie', async () => {
    const base = `http://127.0.0.1:${dash.port}`;
    for (const p of ['/', '/app.js', '/events', '/api/state']) {
      const res = await fetch(base + p);
      assert.equal(res.status, 401, p);
      assert.match(await res.text(), /kloop ui/);
    }
    assert.equal((await fetch(`${base}/?token=wrong`)).status, 403);
    const post = await fetch(`${base}/api/actions/resync`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"target":"web"}',
    });
    assert.equal(post.status, 401);
    const foreign = await fetch(`${base}/api/actions/resync`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${dash.token}`,
        origin: 'http://evil.test',
      },
      body: '{"target":"web"}',
    });
    assert.equal(foreign.status, 403);
    assert.deepEqual(calls, [], 'no refused request reached an action');

    const first = await fetch(dash.url, { redirect: 'manual' });
    assert.equal(first.status, 303);
    assert.equal(first.headers.get('location'), '/', 'the token leaves the address bar');
    const cookie = first.headers.get('set-cookie')!;
    assert.match(cookie, /HttpOnly; SameSite=Strict/);
    const page = await fetch(`${base}/`, { headers: { cookie: cookie.split(';')[0]! } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy')!, /default-src 'none'/);
    assert.match(await page.text(), /<script type="module" src="\/app.js">/);
  });

  test('actions run through POST /api/actions and report failures', async () => {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${dash.token}` };
    const base = `http://127.0.0.1:${dash.port}/api/actions`;
    const ok = await fetch(`${base}/resync`, { method: 'POST', headers, body: '{"target":"web"}' });
    assert.equal(ok.status, 200);
    assert.deepEqual(calls, ['resync web']);
    const failed = await fetch(`${base}/restart`, { method: 'POST', headers, body: '{"target":"api"}' });
    assert.equal(failed.status, 500);
    assert.deepEqual(await failed.json(), { error: 'the container has no restart loop' });
    const unknown = await fetch(`${base}/resync`, { method: 'POST', headers, body: '{"target":"nope"}' });
    assert.equal(unknown.status, 404);
    assert.deepEqual(((await unknown.json()) as { targets: string[] }).targets, ['web', 'api']);
    assert.equal((await fetch(`${base}/rebuild`, { method: 'POST', headers, body: '{"target":"web"}' })).status, 404);
  });

  test('one event stream carries state, history and logs', async () => {
    const headers = { authorization: `Bearer ${dash.token}` };
    store.dispatch({ type: 'log', line: { target: 'web', pod: 'web-1', container: 'web', text: 'before connecting' } });
    setTimeout(() => {
      store.dispatch({ type: 'pod', target: 'web', pod: { name: 'web-1', container: 'web' }, started: true });
      store.dispatch({
        type: 'log',
        line: { target: 'api', pod: 'api-1', container: 'api', text: 'after connecting' },
      });
    }, 200);
    const events = await readEvents(`http://127.0.0.1:${dash.port}/events`, headers, (ev) =>
      ev.some((e) => e.event === 'logs' && JSON.stringify(e.data).includes('after connecting')),
    );
    const hello = events.find((e) => e.event === 'hello')!.data as { actions: string[] };
    assert.deepEqual(hello.actions, ['resync', 'restart']);
    const states = events
      .filter((e) => e.event === 'state')
      .map((e) => e.data as { targets: Record<string, { pod?: string }> });
    assert.equal(states.at(-1)!.targets.web!.pod, 'web-1');
    const texts = events.filter((e) => e.event === 'logs').flatMap((e) => (e.data as unknown[][]).map((l) => l[4]));
    assert.deepEqual(texts, ['before connecting', 'after connecting']);
    const history = events.filter((e) => e.event === 'history').flatMap((e) => e.data as Array<{ text: string }>);
    assert.ok(history.some((h) => h.text === 'web: pod web-1'));
    assert.ok(history.some((h) => h.text === 'web: resync requested'));
  });

  test('kloop ui prints the URL of the running session and runs its actions', async () => {
    const file = dashboardFile(path.join(dir, '.kloop'));
    assert.equal(statSync(file).mode & 0o777, 0o600, 'the token is readable by the user only');
    const shown = await kloop(dir, 'ui');
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.stdout.trim(), dash.url);
    assert.match(shown.stderr, /no display: not opening a browser/);
    const json = await kloop(dir, 'ui', '-o', 'json', '--no-open');
    assert.deepEqual(JSON.parse(json.stdout), {
      url: dash.url,
      project: 'shop',
      pid: process.pid,
      targets: ['web', 'api'],
    });

    const before = calls.length;
    const acted = await kloop(dir, 'ui', 'resync', 'api');
    assert.equal(acted.code, 0, acted.stderr);
    assert.deepEqual(calls.slice(before), ['resync api']);
    const failed = await kloop(dir, 'ui', 'restart', 'api');
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /restart api: the container has no restart loop/);
    const wrong = await kloop(dir, 'ui', 'resync', 'nope');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /no dev target "nope"[\s\S]*web, api/);
    const usage = await kloop(dir, 'ui', 'explode', 'web');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /unknown action "explode"/);
  });

  test('kloop ui without a running session says how to start one', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'kloop-ui-none-'));
    try {
      writeFileSync(path.join(empty, 'kloop.yaml'), 'version: v1\nname: none\n');
      const none = await kloop(empty, 'ui');
      assert.equal(none.code, 1);
      assert.match(none.stderr, /no dev session with a dashboard is running/);
      assert.match(none.stderr, /kloop dev --ui/);
      // a session killed with -9 leaves its record behind
      const stale = path.join(empty, '.kloop');
      const record = JSON.parse(readFileSync(dashboardFile(path.join(dir, '.kloop')), 'utf8'));
      const dead = await new Promise<number>((done) => {
        const c = execFile(process.execPath, ['-e', '0'], () => done(c.pid!));
      });
      await import('node:fs/promises').then((fs) => fs.mkdir(stale, { recursive: true }));
      writeFileSync(dashboardFile(stale), JSON.stringify({ ...record, pid: dead }));
      const gone = await kloop(empty, 'ui');
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, new RegExp(`pid ${dead}.*is no longer running`));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test("the page's files are loaded on the first request for them, not when the server starts", async () => {
    // every kloop dev serves its session: one nobody opens in a browser must not pay for the page
    const script = `
      import { registerHooks } from 'node:module';
      const loaded = [];
      registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); loaded.push(r.url); return r; } });
      const { startDashboard } = await import(${JSON.stringify(new URL('../../../src/ui/server.ts', import.meta.url).href)});
      const { createStore, newTarget } = await import(${JSON.stringify(new URL('../../../src/dev/store.ts', import.meta.url).href)});
      const dash = await startDashboard({ store: createStore({ project: 'p', startedAt: '', phase: 'running', targets: { web: newTarget('web', 'default') } }) });
      const page = () => loaded.filter((u) => u.includes('/src/ui/assets.') || u.includes('/src/ui/page/'));
      const headers = { authorization: 'Bearer ' + dash.token };
      const api = await fetch('http://127.0.0.1:' + dash.port + '/api/state', { headers });
      const before = page();
      const html = await fetch('http://127.0.0.1:' + dash.port + '/', { headers });
      const text = await html.text();
      console.log(JSON.stringify({ api: api.status, before, html: html.status, page: text.includes('<title>kloop dev</title>'), after: page() }));
      await dash.close();
    `;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], (error, stdout, stderr) =>
        error ? reject(new Error(stderr || error.message)) : resolve(stdout),
      ),
    );
    const r = JSON.parse(out) as { api: number; before: string[]; html: number; page: boolean; after: string[] };
    assert.equal(r.api, 200);
    assert.deepEqual(r.before, [], 'nothing of the page is loaded while only the API is used');
    assert.equal(r.html, 200);
    assert.equal(r.page, true);
    assert.ok(
      r.after.some((u) => u.endsWith('/src/ui/assets.ts')),
      `the page loads on its first request: ${r.after}`,
    );
  });

  test('closing the dashboard removes its address', async () => {
    const stateDir = path.join(dir, '.kloop');
    await dash.close();
    assert.equal(existsSync(dashboardFile(stateDir)), false);
    await assert.rejects(fetch(dash.url), 'nothing listens any more');
  });
});
