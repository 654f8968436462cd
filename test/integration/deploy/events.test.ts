// `-o jsonl` / `-o events` on deploy, dev and promote: every stdout line is one JSON object valid
// against schema/events.schema.json (checked with ajv), the events tell the story (phases, each
// object's apply, readiness, sync batches, errors with their hint), and the command's result or
// error comes last.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { requireDocker } from '../../helpers/docker.ts';
import { startDev, until } from '../dev/cli.ts';
import { makeShop } from '../gitops/shop.ts';
import { configMap, createProject, deployment, type Project, repoRoot, type Sandbox, startSandbox } from './fixture.ts';

const docker = await requireDocker('the events suite');
const SECRET = 'ev-secret-1f2e3d4c';

const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schema/events.schema.json'), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: true, validateFormats: false });
const validate = ajv.compile(schema);

// biome-ignore lint/suspicious/noExplicitAny: events are checked against the schema
type Event = any;

function events(stdout: string): Event[] {
  const lines = stdout.split('\n').filter(Boolean);
  assert.ok(lines.length > 0, 'no events on stdout');
  return lines.map((line) => {
    const e = JSON.parse(line);
    assert.ok(validate(e), `${line}\n${ajv.errorsText(validate.errors)}`);
    assert.ok(!line.includes(SECRET), `an event holds the secret value: ${line}`);
    return e;
  });
}

describe('-o jsonl events', { skip: docker ? false : 'Docker is not available' }, () => {
  let sandbox: Sandbox;
  let p: Project;
  before(async () => {
    sandbox = await startSandbox();
    p = createProject(sandbox.kubeconfig, 'default', {
      'kloop.yaml': `version: v1
name: events
vars:
  TOKEN: { secret: true }
apps:
  web:
    manifests: [deploy/*.yaml]
dev:
  web:
    app: web
    workload: deployment/web
    container: web
    sync:
      - { from: public, to: /tmp/www }
`,
      '.env': `TOKEN=${SECRET}\n`,
      'deploy/settings.yaml': configMap('settings', { token: '${TOKEN}' }),
      'deploy/web.yaml': deployment('web'),
      'public/index.html': 'hello\n',
    });
  });
  after(async () => {
    p?.cleanup();
    await sandbox?.stop();
  });

  it('the schema is checked: an event it does not describe is refused', () => {
    assert.equal(
      validate({ ts: new Date().toISOString(), type: 'apply', app: 'web', object: 'x', result: 'maybe' }),
      false,
    );
    assert.equal(validate({ ts: new Date().toISOString(), type: 'nonsense' }), false);
  });

  it('deploy -o jsonl: phases, each object applied, readiness, then the result', async () => {
    const r = await p.kloop('deploy', '--skip-build', '-o', 'jsonl');
    assert.equal(r.code, 0, r.stderr);
    const all = events(r.stdout);
    const applied = all.filter((e) => e.type === 'apply').map((e) => e.object);
    assert.deepEqual(applied.sort(), ['configmap/settings in default', 'deployment/web in default']);
    const phases = all.filter((e) => e.type === 'phase' && e.app === 'web').map((e) => e.phase);
    assert.equal(phases[0], 'applying');
    assert.equal(phases.at(-1), 'ready');
    assert.ok(all.some((e) => e.type === 'readiness' && e.object === 'deployment/web in default' && e.ready));
    const last = all.at(-1);
    assert.equal(last.type, 'result');
    assert.equal(last.data.apps.web.status, 'applied');
    assert.match(r.stderr, /web: ready/, 'the human progress goes to stderr');
  });

  it('a failure is the last event, with its hint; -o events is the same stream', async () => {
    const r = await p.kloop('deploy', 'nope', '--skip-build', '-o', 'events');
    assert.equal(r.code, 1);
    const last = events(r.stdout).at(-1);
    assert.equal(last.type, 'error');
    assert.match(last.message, /no app "nope"/);
    assert.match(last.hint, /apps: web/);
    assert.equal(last.exitCode, 1);
    const usage = await p.kloop('render', '-o', 'jsonl');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /-o jsonl is for deploy, dev, promote/);
  });

  it('dev -o jsonl: session and target phases, sync batches', async () => {
    // startDev reads stdout as JSON lines; with -o jsonl (given last, it wins over -o json) they are the events
    const dev = startDev(p.dir, sandbox.kubeconfig, 'default', ['--skip-deploy', '-o', 'jsonl']);
    try {
      await until('the session runs', dev, (e) => e.type === 'session' && !e.target && e.phase === 'running', 90_000);
      await until('the initial sync', dev, (e) => e.type === 'sync' && e.target === 'web' && e.to === '/tmp/www');
      writeFileSync(path.join(p.dir, 'public/two.html'), 'two\n');
      await until('a sync batch with the new file', dev, (e) => e.type === 'sync' && e.uploaded >= 1 && e.state);
      assert.ok(dev.lines.some((e: Event) => e.type === 'session' && e.target === 'web' && e.phase === 'running'));
    } finally {
      dev.child.kill('SIGINT');
      await dev.exited;
    }
    for (const e of dev.lines) assert.ok(validate(e), `${JSON.stringify(e)}\n${ajv.errorsText(validate.errors)}`);
    assert.ok(dev.lines.some((e: Event) => e.type === 'session' && !e.target && e.phase === 'stopped'));
  });

  it('promote -o jsonl --dry-run: the steps as messages, then the result', async () => {
    const shop = makeShop();
    try {
      const r = await shop.kloop(['promote', '--env', 'staging', '--dry-run', '-o', 'jsonl']);
      assert.equal(r.code, 0, r.stderr);
      const all = events(r.stdout);
      assert.ok(all.some((e) => e.type === 'message' && /rendering shop for staging/.test(e.text)));
      const last = all.at(-1);
      assert.equal(last.type, 'result');
      assert.equal(last.command, 'promote');
      assert.equal(last.data.changed, true);
      assert.equal(last.data.pushed, false);
    } finally {
      shop.cleanup();
    }
  });
});
