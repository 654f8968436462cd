// Every `kloop dev` serves its session, --ui or not, as `tilt up` serves its API: an agent's MCP
// client beside a plain `kloop dev` sees the session (status devSession) and resyncs a target
// through it, `kloop ui` attaches to it, two sessions in two project directories each answer for
// their own project, a second session in the same project is refused without taking over the
// first one's address, Ctrl-C removes the address, and --no-api serves nothing.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { dashboardFile } from '../../../src/ui/session-file.ts';
import { requireDocker } from '../../helpers/docker.ts';
import { webDevProject, writeTree } from '../../helpers/fixtures.ts';
import { bin, eventually, get, type Line, type Running, runKloop, startDev, until } from './cli.ts';
import { freePort, type Sandbox, startSandbox } from './sandbox.ts';

const haveDocker = await requireDocker('the kloop dev session API test');

const running = (l: Line) =>
  l.type === 'state' && l.state.phase === 'running' && l.state.targets.web?.sync[0]?.state === 'in-sync';

const record = (dir: string) =>
  JSON.parse(readFileSync(dashboardFile(path.join(dir, '.kloop')), 'utf8')) as {
    pid: number;
    port: number;
    token: string;
  };

describe('kloop dev without --ui serves its session', { skip: haveDocker ? false : 'Docker is not available' }, () => {
  let sandbox: Sandbox;
  const dirs: string[] = [];
  const devs: Running[] = [];
  const clients: Client[] = [];

  before(async () => {
    sandbox = await startSandbox();
    await sandbox.kubectl('create', 'namespace', 'other');
    await sandbox.kubectl('create', 'namespace', 'third');
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    for (const d of devs) if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
    await sandbox?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function mcp(dir: string, namespace: string): Promise<Client> {
    const client = new Client({ name: 'kloop-test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [bin, 'mcp', '--allow-changes', '-n', namespace],
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: sandbox.kubeconfig, CI: 'true', NO_COLOR: '1' },
        stderr: 'pipe',
      }),
    );
    clients.push(client);
    return client;
  }
  async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
    const r = (await client.callTool({ name, arguments: args })) as { content: { text: string }[]; isError?: boolean };
    const text = r.content.map((c) => c.text).join('\n');
    assert.equal(r.isError ?? false, false, `${name}: ${text}`);
    return JSON.parse(text);
  }

  test('an MCP client sees a plain kloop dev and resyncs through it; two projects do not collide', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const a = mkdtempSync(path.join(tmpdir(), 'kloop-api-a-'));
    const b = mkdtempSync(path.join(tmpdir(), 'kloop-api-b-'));
    dirs.push(a, b);
    writeTree(a, webDevProject('api-a', portA));
    writeTree(b, webDevProject('api-b', portB));
    const devA = startDev(a, sandbox.kubeconfig, 'default');
    const devB = startDev(b, sandbox.kubeconfig, 'other');
    devs.push(devA, devB);
    const [runA] = await Promise.all([
      until('the session in a runs', devA, running, 120_000),
      until('the session in b runs', devB, running, 120_000),
    ]);

    // each session published its own address, without --ui, and said where it listens (no token)
    const [recA, recB] = [record(a), record(b)];
    assert.equal(recA.pid, devA.child.pid);
    assert.equal(recB.pid, devB.child.pid);
    assert.notEqual(recA.port, recB.port);
    const said = devA.lines.find((l) => l.type === 'notice' && /^session API on /.test(l.message));
    assert.ok(said, 'the session says where its API is');
    assert.ok(said.message.includes(`127.0.0.1:${recA.port}`), said.message);
    assert.ok(!said.message.includes(recA.token), 'the token stays in .kloop/');
    assert.ok(!devA.lines.some((l) => l.type === 'notice' && /^dashboard: /.test(l.message)), 'no URL without --ui');

    // the agent beside each session sees that session
    const [agentA, agentB] = await Promise.all([mcp(a, 'default'), mcp(b, 'other')]);
    const [liveA, liveB] = [(await call(agentA, 'status')).devSession, (await call(agentB, 'status')).devSession];
    assert.equal(liveA?.pid, devA.child.pid);
    assert.equal(liveA.state.project, 'api-a');
    assert.equal(liveA.state.targets.web.phase, 'running');
    assert.equal(liveB?.pid, devB.child.pid);
    assert.equal(liveB.state.project, 'api-b');

    // resync through MCP: what was changed in the container by hand is the folder's again
    const pod = runA.state.targets.web.pod as string;
    await sandbox.kubectl(
      'exec',
      '-n',
      'default',
      pod,
      '-c',
      'web',
      '--',
      'sh',
      '-c',
      'echo tampered > /www/index.html',
    );
    await eventually(
      'the change by hand is served',
      () => get(portA, 'index.html'),
      (v) => v === '200 tampered\n',
    );
    await call(agentA, 'resync', { target: 'web' });
    await eventually(
      'the resync put the file back',
      () => get(portA, 'index.html'),
      (v) => v === '200 hello\n',
      60_000,
    );
    await eventually(
      'the other project is untouched',
      () => get(portB, 'index.html'),
      (v) => v === '200 hello\n',
    );

    // kloop ui attaches to the session of its own project
    const shownB = await runKloop(b, sandbox.kubeconfig, ['ui', '-o', 'json', '--no-open'], undefined, 'other');
    assert.equal(shownB.code, 0, shownB.stderr);
    assert.equal(JSON.parse(shownB.stdout).pid, devB.child.pid);
    assert.deepEqual(JSON.parse(shownB.stdout).targets, ['web']);

    // a second session in a is refused and leaves the first one's address alone
    const second = await runKloop(a, sandbox.kubeconfig, ['dev', '-o', 'json']);
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`another kloop dev session \\(pid ${devA.child.pid}\\)`));
    assert.deepEqual(record(a), recA, "the running session's address is still there");
    assert.equal((await call(agentA, 'status')).devSession?.pid, devA.child.pid);

    devA.child.kill('SIGINT');
    devB.child.kill('SIGINT');
    assert.equal(await devA.exited, 0, devA.stderr());
    assert.equal(await devB.exited, 0, devB.stderr());
    assert.equal(existsSync(dashboardFile(path.join(a, '.kloop'))), false, 'the address goes with the session');
    assert.equal((await call(agentA, 'status')).devSession, undefined, 'no session, no devSession');
  });

  test('--no-api: the session serves nothing, and says so when asked for both', async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'kloop-api-none-'));
    dirs.push(dir);
    writeTree(dir, webDevProject('api-none', port));
    const both = await runKloop(dir, sandbox.kubeconfig, ['dev', '--no-api', '--ui'], undefined, 'third');
    assert.equal(both.code, 2, both.stderr);
    assert.match(both.stderr, /--no-api turns off the server that --ui needs/);

    const dev = startDev(dir, sandbox.kubeconfig, 'third', ['--no-api']);
    devs.push(dev);
    await until('the session runs', dev, running, 120_000);
    assert.equal(existsSync(dashboardFile(path.join(dir, '.kloop'))), false, 'no address published');
    const ui = await runKloop(dir, sandbox.kubeconfig, ['ui', '--no-open'], undefined, 'third');
    assert.equal(ui.code, 1);
    assert.match(
      ui.stderr,
      new RegExp(`the dev session running for .*kloop.yaml \\(pid ${dev.child.pid}\\) serves no dashboard`),
    );
    assert.match(ui.stderr, /started with --no-api/);
    const agent = await mcp(dir, 'third');
    assert.equal((await call(agent, 'status')).devSession, undefined);
    const refused = (await agent.callTool({ name: 'resync', arguments: { target: 'web' } })) as {
      content: { text: string }[];
      isError?: boolean;
    };
    assert.equal(refused.isError, true);
    assert.match(refused.content[0]!.text, new RegExp(`\\(pid ${dev.child.pid}\\) serves no API`));
    dev.child.kill('SIGINT');
    assert.equal(await dev.exited, 0, dev.stderr());
  });
});
