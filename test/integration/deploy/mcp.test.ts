// kloop mcp driven by the MCP SDK's own client over stdio, against the sandbox: tools listed,
// status and render answered, deploy refused without --allow-changes and done with it, logs
// bounded, purge asking through elicitation (refused when the client cannot ask), and the value of
// a secret variable — present in the rendered files and in the pod's log — in no response.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createStore, newTarget } from '../../../src/dev/store.ts';
import { startDashboard } from '../../../src/ui/server.ts';
import { requireDocker } from '../../helpers/docker.ts';
import { BIN } from '../../helpers/cli.ts';
import { deploymentYaml as deployment } from '../../helpers/fixtures.ts';
import { configMap, createProject, type Project, type Sandbox, startSandbox } from './fixture.ts';

const docker = await requireDocker('the kloop mcp suite');
const SECRET = 'mcp-secret-8a7b6c5d';

describe('kloop mcp with the SDK client', { skip: docker ? false : 'Docker is not available' }, () => {
  let sandbox: Sandbox;
  let p: Project;
  const clients: Client[] = [];
  const responses: string[] = [];

  async function open(args: string[], confirm?: boolean): Promise<Client> {
    const client = new Client(
      { name: 'kloop-test', version: '1.0.0' },
      confirm === undefined ? {} : { capabilities: { elicitation: { form: {} } } },
    );
    if (confirm !== undefined)
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        responses.push(JSON.stringify(request.params));
        return { action: 'accept', content: { confirm } };
      });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp', '-n', 'default', ...args],
      cwd: p.dir,
      env: { PATH: process.env.PATH ?? '', HOME: p.dir, KUBECONFIG: sandbox.kubeconfig, CI: 'true', NO_COLOR: '1' },
      stderr: 'pipe',
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
    const r = (await client.callTool({ name, arguments: args })) as {
      content: { type: string; text: string }[];
      isError?: boolean;
    };
    const text = r.content.map((c) => c.text).join('\n');
    responses.push(text);
    return { text, isError: Boolean(r.isError), json: () => JSON.parse(text) };
  }

  before(async () => {
    sandbox = await startSandbox();
    p = createProject(sandbox.kubeconfig, 'default', {
      'kloop.yaml': `version: v1
name: agentic
vars:
  TOKEN: { secret: true }
apps:
  web:
    manifests: [deploy/*.yaml]
`,
      '.env': `TOKEN=${SECRET}\n`,
      'deploy/settings.yaml': configMap('settings', { token: '${TOKEN}' }),
      'deploy/web.yaml': deployment('web', {
        command: 'echo started with token=$TOKEN; sleep 3600',
        fields: '          env: [{ name: TOKEN, valueFrom: { configMapKeyRef: { name: settings, key: token } } }]',
      }),
    });
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    p?.cleanup();
    await sandbox?.stop();
    for (const text of responses) assert.ok(!text.includes(SECRET), `a response holds the secret value:\n${text}`);
  });

  it('read-only: lists the tools, answers status and render, refuses deploy and purge', async () => {
    const client = await open([]);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [
      'deploy',
      'diff',
      'logs',
      'purge',
      'rebuild',
      'render',
      'restart',
      'resync',
      'status',
    ]);
    assert.equal(tools.find((t) => t.name === 'status')?.annotations?.readOnlyHint, true);
    assert.equal(tools.find((t) => t.name === 'purge')?.annotations?.destructiveHint, true);

    const status = await call(client, 'status');
    assert.equal(status.isError, false, status.text);
    assert.equal(status.json().apps.web.deployed, false);

    const render = await call(client, 'render');
    assert.equal(render.isError, false, render.text);
    const out = render.json();
    assert.deepEqual(out.apps.web.kinds, { ConfigMap: 1, Deployment: 1 });
    const file = out.files.find((f: string) => f.endsWith('web.yaml'));
    assert.ok(file && existsSync(file), JSON.stringify(out.files));
    assert.ok(
      readFileSync(file, 'utf8').includes(SECRET),
      'the rendered file holds the secret (the inner loop renders it)',
    );

    const deploy = await call(client, 'deploy', { skipBuild: true });
    assert.equal(deploy.isError, true);
    assert.match(deploy.text, /read-only.*--allow-changes/s);
    const purge = await call(client, 'purge');
    assert.equal(purge.isError, true);
    assert.match(purge.text, /--allow-changes/);
    const unknownEnv = await call(client, 'status', { env: 'nope' });
    assert.equal(unknownEnv.isError, true);
    assert.match(unknownEnv.text, /unknown environment "nope"/);
  });

  it('--allow-changes: deploy, status, logs redacted; purge refused without a way to ask', async () => {
    const client = await open(['--allow-changes']);
    const deploy = await call(client, 'deploy', { skipBuild: true });
    assert.equal(deploy.isError, false, deploy.text);
    assert.equal(deploy.json().apps.web.status, 'applied');

    const status = await call(client, 'status');
    const web = status.json().apps.web;
    assert.equal(web.deployed, true);
    assert.equal(web.ready, true, status.text);

    let logs = await call(client, 'logs', { target: 'web', lines: 10 });
    for (let i = 0; i < 20 && !logs.text.includes('started with token='); i++) {
      await new Promise((r) => setTimeout(r, 500));
      logs = await call(client, 'logs', { target: 'web', lines: 10 });
    }
    assert.equal(logs.isError, false, logs.text);
    assert.match(logs.text, /started with token=\*\*\*\*\*\*/);

    const purge = await call(client, 'purge');
    assert.equal(purge.isError, true);
    assert.match(purge.text, /cannot ask \(no elicitation support\)/);
  });

  it('purge asks the user through the client: declined deletes nothing, confirmed purges', async () => {
    const declining = await open(['--allow-changes'], false);
    const declined = await call(declining, 'purge');
    assert.equal(declined.isError, false, declined.text);
    assert.equal(declined.json().purged, false);
    assert.equal((await p.kubectl('get', 'deployment', 'web', '-n', 'default')).code, 0, 'nothing was deleted');

    const confirming = await open(['--allow-changes'], true);
    const purged = await call(confirming, 'purge');
    assert.equal(purged.isError, false, purged.text);
    assert.equal(purged.json().purged, true);
    const gone = await p.kubectl('get', 'deployment', 'web', '-n', 'default');
    assert.notEqual(gone.code, 0);
    assert.match(responses.find((r) => r.includes('"requestedSchema"')) ?? '', /Delete every app of agentic/);
  });

  it("status carries a running kloop dev session's live state, redacted", async () => {
    const store = createStore({
      project: 'agentic',
      startedAt: new Date().toISOString(),
      phase: 'running',
      targets: { web: newTarget('web', 'default') },
    });
    store.dispatch({ type: 'pod', target: 'web', pod: { name: 'web-abc', container: 'web' }, started: true });
    store.dispatch({
      type: 'pod-status',
      target: 'web',
      pods: [{ name: 'web-abc', phase: 'Running', ready: false, restarts: 3, reason: 'CrashLoopBackOff' }],
    });
    // something the session reported that holds the secret's value: the MCP answer must not
    store.dispatch({ type: 'pod', target: 'web', started: true, error: `token ${SECRET} rejected` });
    const dash = await startDashboard({ store, stateDir: path.join(p.dir, '.kloop') });
    const client = await open([]);
    try {
      const status = await call(client, 'status');
      assert.equal(status.isError, false, status.text);
      const live = status.json().devSession;
      assert.equal(live.pid, process.pid);
      assert.equal(live.state.targets.web.pods[0].reason, 'CrashLoopBackOff');
      assert.match(live.state.targets.web.error, /^token \*+ rejected$/);
    } finally {
      await dash.close();
    }
    const none = await call(client, 'status');
    assert.equal(none.json().devSession, undefined, 'no session, no devSession');
  });
});
