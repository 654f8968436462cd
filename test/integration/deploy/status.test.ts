// kloop status on the sandbox through a project's life: before deploy, after deploy (when, images,
// source commit from the real git), with a dev session running (its patch is the session's, not
// drift even where it rewrote kloop's fields), after a hand-made `kubectl scale` (drift, by kubectl), and after purge.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { requireDocker } from '../../helpers/docker.ts';
import { startDev, until } from '../dev/cli.ts';
import { configMap, createProject, deployment, type Project, type Sandbox, startSandbox } from './fixture.ts';

const docker = await requireDocker('the status suite');

const SECRET = 'st-secret-4d5e6f7a';

describe('kloop status on the sandbox', { skip: docker ? false : 'Docker is not available' }, () => {
  let sandbox: Sandbox;
  let p: Project;

  before(async () => {
    sandbox = await startSandbox();
    p = createProject(sandbox.kubeconfig, 'default', {
      'kloop.yaml': `version: v1
name: stat
vars:
  TOKEN: { secret: true }
apps:
  web:
    manifests: [deploy/web.yaml]
  settings:
    manifests: [deploy/settings.yaml]
dev:
  web:
    app: web
    workload: deployment/web
    container: web
    onSync: restart
`,
      'deploy/web.yaml': deployment('web'),
      'deploy/settings.yaml': configMap('settings', { token: '${TOKEN}' }),
      '.env': `TOKEN=${SECRET}\n`,
    });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: p.dir, encoding: 'utf8' }).trim();
    git('init', '-q');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'start');
    writeGitignore(p);
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'status fixture');
  });
  after(async () => {
    p?.cleanup();
    await sandbox?.stop();
  });

  async function status() {
    const r = await p.kloop('status', '-o', 'json');
    assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET), 'the secret value is never shown');
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    return { code: r.code, report: JSON.parse(r.stdout) };
  }

  it('before deploy: nothing deployed, exit 1', async () => {
    const { code, report } = await status();
    assert.equal(code, 1);
    assert.equal(report.ready, false);
    assert.deepEqual(Object.keys(report.apps), ['web', 'settings']);
    assert.equal(report.apps.web.deployed, false);
    assert.deepEqual(report.sessions, []);
    const text = await p.kloop('status');
    assert.equal(text.code, 1);
    assert.match(text.stdout, /web: not deployed/);
  });

  it('after deploy: when, by whom, the source commit, no drift, ready, exit 0', async () => {
    const started = Date.now();
    const d = await p.kloop('deploy', '--skip-build');
    assert.equal(d.code, 0, d.stderr);
    const { code, report } = await status();
    assert.equal(code, 0, JSON.stringify(report, null, 2));
    const web = report.apps.web;
    assert.equal(web.deployed, true);
    assert.ok(Date.parse(web.last.at) >= started - 1000 && Date.parse(web.last.at) <= Date.now());
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: p.dir, encoding: 'utf8' }).trim();
    assert.equal(web.last.source.commit, head);
    assert.equal(web.last.source.dirty, false);
    assert.equal(web.drift.state, 'none');
    assert.deepEqual(web.workloads, [
      { object: 'deployment/web in default', ready: true, message: web.workloads[0].message },
    ]);
    assert.equal(report.apps.settings.objects, 1);
    assert.equal(report.ready, true);
  });

  it('with a dev session running: the session, its patch (not drift) and what it changed', async () => {
    const dev = startDev(p.dir, sandbox.kubeconfig, 'default', ['--skip-deploy']);
    try {
      await until('the session runs', dev, (l) => l.type === 'state' && l.state.phase === 'running', 90_000);
      const { report } = await status();
      const session = report.sessions.find((s: { kind: string }) => s.kind === 'dev');
      assert.ok(session, JSON.stringify(report.sessions));
      assert.equal(session.pid, dev.child.pid);
      const change = report.changes.find((c: { kind: string }) => c.kind === 'dev-patch');
      assert.ok(change, JSON.stringify(report.changes));
      assert.match(change.describe, /deployment\/web in default/);
      assert.equal(change.ownerRunning, true);
      assert.notEqual(report.apps.web.drift.state, 'drifted', JSON.stringify(report.apps.web.drift));
      const patched = report.apps.web.drift.objects.find((o: { object: string }) =>
        o.object.startsWith('deployment/web'),
      );
      assert.ok(patched?.bySession, JSON.stringify(report.apps.web.drift));
      const text = await p.kloop('status');
      assert.match(text.stdout, /sessions:\n {2}kloop dev \(pid \d+\)/);
    } finally {
      dev.child.kill('SIGINT');
      await dev.exited;
    }
    // the session restored its patch: nothing is left changed
    const { report } = await status();
    assert.deepEqual(report.sessions, []);
    assert.deepEqual(report.changes, []);
    assert.equal(report.apps.web.drift.state, 'none', JSON.stringify(report.apps.web.drift));
  });

  it('after a hand-made kubectl scale: drift on deployment/web', async () => {
    const r = await p.kubectl('scale', 'deployment/web', '--replicas=2', '-n', 'default');
    assert.equal(r.code, 0, r.stderr);
    // biome-ignore lint/suspicious/noExplicitAny: JSON output
    let report: any;
    for (let i = 0; ; i++) {
      ({ report } = await status());
      if (report.apps.web.drift.state === 'drifted' || i > 10) break;
      await delay(500);
    }
    assert.equal(report.apps.web.drift.state, 'drifted', JSON.stringify(report.apps.web.drift));
    assert.deepEqual(
      report.apps.web.drift.objects.map((o: { object: string; kind: string }) => [o.object, o.kind]),
      [['deployment/web in default', 'changed']],
    );
    const text = await p.kloop('status');
    assert.match(text.stdout, /drift in 1 object\(s\)/);
    assert.match(text.stdout, /deployment\/web in default: changed/);
  });

  it('after purge: nothing deployed, exit 1', async () => {
    const r = await p.kloop('purge');
    assert.equal(r.code, 0, r.stderr);
    const { code, report } = await status();
    assert.equal(code, 1);
    assert.equal(report.apps.web.deployed, false);
    assert.equal(report.apps.settings.deployed, false);
    assert.deepEqual(report.changes, []);
  });
});

function writeGitignore(p: Project): void {
  p.write({ '.gitignore': '.kloop/\n.env\n' });
}
