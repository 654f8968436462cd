// kloop dev --debug end to end on the sandbox: a Node app built by kloop from an image made of the
// local Node binary runs under the inspector; the test attaches over the forwarded debug port with
// the Chrome DevTools protocol, sets a breakpoint by the *local* file path mapped through the
// launch.json entry kloop wrote, triggers a request through the app's port-forward and sees the
// pause at that line. Ctrl-C restores the original command and environment.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { parse } from 'jsonc-parser';
import WebSocket from 'ws';
import { type Line, startDev, until } from './cli.ts';
import { deploymentYaml, writeTree } from '../../helpers/fixtures.ts';
import { requireDocker } from '../../helpers/docker.ts';
import { freePort, type Sandbox, startSandbox } from './sandbox.ts';

const haveDocker = await requireDocker('the kloop dev --debug test');

const SERVER = `const http = require('node:http');
let hits = 0;
http
  .createServer((req, res) => {
    hits += 1;
    const body = 'hit ' + hits + '\\n'; // BREAK HERE
    res.end(body);
  })
  .listen(8080);
console.log('listening');
`;

function project(dir: string, appPort: number, debugPort: number): void {
  const files: Record<string, string> = {
    'kloop.yaml': `version: v1
name: debugtest
images:
  web: { image: debugtest/web, context: app }
apps:
  web:
    manifests: [deploy/*.yaml]
dev:
  web:
    app: web
    workload: deployment/web
    sync:
      - { from: app, to: /app, exclude: [Dockerfile] }
    ports: ["${appPort}:8080"]
    debug: { port: ${debugPort} }
`,
    // busybox for the sync transport (sh, tar, dd); node from the local binary
    'app/Dockerfile': `FROM busybox:1.36 AS tools
FROM node:24-slim
COPY --from=tools /bin/ /bin/
COPY server.js /app/server.js
CMD ["node", "/app/server.js"]
`,
    'app/server.js': SERVER,
    'deploy/web.yaml': deploymentYaml('web', {
      image: 'debugtest/web',
      command: ['node', '/app/server.js'],
      fields: '          env: [{ name: NODE_OPTIONS, value: --max-old-space-size=128 }]',
    }),
    '.vscode/launch.json': `{
  // the developer's own entry stays
  "version": "0.2.0",
  "configurations": [{ "name": "mine", "type": "node", "request": "launch", "program": "app/server.js" }]
}
`,
  };
  writeTree(dir, files);
}

/** A minimal Chrome DevTools protocol client: numbered calls, events by method. */
async function cdp(url: string) {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let id = 0;
  const pending = new Map<number, (msg: Line) => void>();
  const events: Line[] = [];
  const waiters: Array<{ method: string; resolve: (m: Line) => void }> = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as Line;
    if (msg.id !== undefined) pending.get(msg.id)?.(msg);
    else {
      const w = waiters.findIndex((x) => x.method === msg.method);
      if (w >= 0) waiters.splice(w, 1)[0]!.resolve(msg);
      else events.push(msg);
    }
  });
  return {
    call(method: string, params: object = {}): Promise<Line> {
      const n = ++id;
      ws.send(JSON.stringify({ id: n, method, params }));
      return new Promise((resolve) => pending.set(n, resolve));
    },
    event(method: string, ms = 20_000): Promise<Line> {
      const i = events.findIndex((e) => e.method === method);
      if (i >= 0) return Promise.resolve(events.splice(i, 1)[0]);
      return new Promise((resolve, reject) => {
        const w = { method, resolve };
        waiters.push(w);
        setTimeout(() => reject(new Error(`no ${method} within ${ms} ms`)), ms).unref();
      });
    },
    events,
    close: () => ws.close(),
  };
}

describe('kloop dev --debug on the sandbox', { skip: haveDocker ? false : 'Docker is not available' }, () => {
  let sandbox: Sandbox;
  let dir = '';
  const children: ChildProcess[] = [];

  before(async () => {
    sandbox = await startSandbox();
    dir = mkdtempSync(path.join(tmpdir(), 'kloop-dev-debug-'));
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a breakpoint set by the local path pauses the request in the pod; Ctrl-C restores the command', async () => {
    const appPort = await freePort();
    const debugPort = await freePort();
    project(dir, appPort, debugPort);
    const dev = startDev(dir, sandbox.kubeconfig, 'default', ['--debug']);
    children.push(dev.child);
    const running = await until(
      'the session runs under the debugger',
      dev,
      (l) => l.type === 'state' && l.state.phase === 'running' && l.state.targets.web?.sync[0]?.state === 'in-sync',
      180_000,
    );
    assert.deepEqual(running.state.targets.web.debug, {
      runtime: 'node',
      port: debugPort,
      wait: false,
      attach: 'kloop: web (node)',
    });

    const patched = JSON.parse(await sandbox.kubectl('get', 'deployment', 'web', '-n', 'default', '-o', 'json'));
    assert.deepEqual(patched.spec.template.spec.containers[0].env, [
      { name: 'NODE_OPTIONS', value: `--max-old-space-size=128 --inspect=0.0.0.0:${debugPort}` },
    ]);

    // launch.json: the developer's entry and comment kept, kloop's entry added with the sync roots
    const launchText = readFileSync(path.join(dir, '.vscode/launch.json'), 'utf8');
    assert.match(launchText, /the developer's own entry stays/);
    const launch = parse(launchText) as { configurations: Line[] };
    assert.deepEqual(
      launch.configurations.map((c) => c.name),
      ['mine', 'kloop: web (node)'],
    );
    const entry = launch.configurations[1];
    assert.equal(entry.port, debugPort);
    // the IDE's view: a local file, mapped through localRoot/remoteRoot
    const localRoot = entry.localRoot.replace('${workspaceFolder}', dir);
    const localFile = path.join(dir, 'app/server.js');
    const remoteFile = path.posix.join(entry.remoteRoot, path.relative(localRoot, localFile).split(path.sep).join('/'));
    const line = SERVER.split('\n').findIndex((l) => l.includes('BREAK HERE'));

    const targets = (await (await fetch(`http://127.0.0.1:${debugPort}/json/list`)).json()) as Line[];
    assert.equal(targets.length, 1, JSON.stringify(targets));
    const debug = await cdp(targets[0].webSocketDebuggerUrl.replace(/\/\/[^/]+\//, `//127.0.0.1:${debugPort}/`));
    try {
      await debug.call('Debugger.enable');
      const bp = await debug.call('Debugger.setBreakpointByUrl', {
        url: pathToFileURL(remoteFile).href,
        lineNumber: line,
      });
      assert.equal(bp.result.locations.length, 1, `the breakpoint resolved in the pod: ${JSON.stringify(bp)}`);
      const response = fetch(`http://127.0.0.1:${appPort}/`).then(
        async (r) => r.text(),
        (error: unknown) => `request failed: ${error}`,
      );
      const paused = await debug.event('Debugger.paused');
      const top = paused.params.callFrames[0];
      assert.equal(top.location.lineNumber, line);
      const script = debug.events.find(
        (e) => e.method === 'Debugger.scriptParsed' && e.params.scriptId === top.location.scriptId,
      );
      assert.equal(script?.params.url, pathToFileURL(remoteFile).href, 'paused in the synced file');
      await debug.call('Debugger.resume');
      assert.equal(await response, 'hit 1\n');
    } finally {
      debug.close();
    }

    dev.child.kill('SIGINT');
    assert.equal(await dev.exited, 0, dev.stderr());
    const restored = JSON.parse(await sandbox.kubectl('get', 'deployment', 'web', '-n', 'default', '-o', 'json'));
    assert.deepEqual(restored.spec.template.spec.containers[0].env, [
      { name: 'NODE_OPTIONS', value: '--max-old-space-size=128' },
    ]);
    assert.deepEqual(restored.spec.template.spec.containers[0].command, ['node', '/app/server.js']);
  });

  test('--print-launch prints the attach entries on stdout and leaves launch.json as it was', async () => {
    const debugPort = await freePort();
    project(dir, await freePort(), debugPort);
    const launchFile = path.join(dir, '.vscode/launch.json');
    const before = readFileSync(launchFile, 'utf8');
    const dev = startDev(dir, sandbox.kubeconfig, 'default', ['--debug', '--print-launch', '--skip-deploy']);
    children.push(dev.child);
    const printed = await until('the entries are printed', dev, (l) => Array.isArray(l.configurations), 120_000);
    assert.deepEqual(
      printed.configurations.map((c: Line) => [c.name, c.port]),
      [['kloop: web (node)', debugPort]],
    );
    await until('the session runs', dev, (l) => l.type === 'state' && l.state.phase === 'running', 180_000);
    dev.child.kill('SIGINT');
    assert.equal(await dev.exited, 0, dev.stderr());
    assert.equal(readFileSync(launchFile, 'utf8'), before, 'launch.json untouched');
  });
});
