// The debugger patch per runtime: the exact command and environment each produces, runtime
// detection, and the errors when kloop cannot tell or cannot wrap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ContainerFacts, detectRuntime, planDebug } from '../../../src/dev/debug.ts';
import { KloopError } from '../../../src/errors.ts';

const c = (command: string[], env: Record<string, string> = {}, args?: string[]): ContainerFacts => ({
  name: 'app',
  command,
  ...(args ? { args } : {}),
  env: Object.entries(env).map(([name, value]) => ({ name, value })),
});

test('runtime detection from the command, a shell command, then the image environment', () => {
  assert.equal(detectRuntime(c(['node', 'server.js'])), 'node');
  assert.equal(detectRuntime(c(['/usr/local/bin/npm', 'start'])), 'node');
  assert.equal(detectRuntime(c(['sh', '-c', 'exec node /app/server.js'])), 'node');
  assert.equal(detectRuntime(c(['python3.12', 'app.py'])), 'python');
  assert.equal(detectRuntime(c(['gunicorn', 'app:app'])), 'python');
  assert.equal(detectRuntime(c(['uvicorn', 'main:app'])), 'python');
  assert.equal(detectRuntime(c(['java', '-jar', 'app.jar'])), 'jvm');
  assert.equal(detectRuntime(c(['/app/service.jar'])), 'jvm');
  assert.equal(detectRuntime(c(['dotnet', 'Api.dll'])), 'dotnet');
  assert.equal(detectRuntime(c(['/app/server'], { GOLANG_VERSION: '1.23' })), 'go');
  assert.equal(detectRuntime({ name: 'x' }, ['PATH=/usr/bin', 'NODE_VERSION=24.1.0']), 'node');
  assert.equal(detectRuntime({ name: 'x' }, ['JAVA_HOME=/opt/java']), 'jvm');
  assert.equal(detectRuntime(c(['/app/server'])), undefined);
});

test('node: NODE_OPTIONS with --inspect on all interfaces, --inspect-brk with wait, existing options kept', () => {
  const p = planDebug('web', 'deployment/web', c(['node', 'server.js'], { NODE_OPTIONS: '--max-old-space-size=256' }));
  assert.deepEqual(
    { runtime: p.runtime, port: p.port, env: p.env, command: p.command },
    {
      runtime: 'node',
      port: 9229,
      env: { NODE_OPTIONS: '--max-old-space-size=256 --inspect=0.0.0.0:9229' },
      command: undefined,
    },
  );
  const w = planDebug('web', 'deployment/web', c(['node', 'server.js']), { wait: true, port: 9300 });
  assert.deepEqual(w.env, { NODE_OPTIONS: '--inspect-brk=0.0.0.0:9300' });
});

test('node under npm: the inspector reaches the scripts, not npm itself', () => {
  const p = planDebug('web', 'deployment/web', c(['npm', 'run', 'start']));
  assert.deepEqual(p.env, { npm_config_node_options: '--inspect=0.0.0.0:9229' });
});

test('python: debugpy around the original command, script and console-script forms', () => {
  assert.deepEqual(planDebug('api', 'deployment/api', c(['python', 'app.py', '--port', '8000'])).command, [
    'python',
    '-m',
    'debugpy',
    '--listen',
    '0.0.0.0:5678',
    'app.py',
    '--port',
    '8000',
  ]);
  assert.deepEqual(planDebug('api', 'deployment/api', c(['python3', '-m', 'flask', 'run']), { wait: true }).command, [
    'python3',
    '-m',
    'debugpy',
    '--listen',
    '0.0.0.0:5678',
    '--wait-for-client',
    '-m',
    'flask',
    'run',
  ]);
  const u = planDebug('api', 'deployment/api', c(['uvicorn'], {}, ['main:app', '--host', '0.0.0.0']));
  assert.deepEqual(u.command, [
    'python',
    '-m',
    'debugpy',
    '--listen',
    '0.0.0.0:5678',
    '-m',
    'uvicorn',
    'main:app',
    '--host',
    '0.0.0.0',
  ]);
  assert.deepEqual(u.args, []);
  assert.match(u.notes.join('\n'), /debugpy must be installed in the image/);
});

test('go: dlv exec headless, multi-client, continuing unless wait; arguments after --', () => {
  assert.deepEqual(
    planDebug('svc', 'deployment/svc', c(['/app/server', '-addr', ':8080']), { runtime: 'go' }).command,
    [
      'dlv',
      'exec',
      '--headless',
      '--listen=:2345',
      '--api-version=2',
      '--accept-multiclient',
      '--continue',
      '/app/server',
      '--',
      '-addr',
      ':8080',
    ],
  );
  assert.deepEqual(planDebug('svc', 'deployment/svc', c(['/app/server']), { runtime: 'go', wait: true }).command, [
    'dlv',
    'exec',
    '--headless',
    '--listen=:2345',
    '--api-version=2',
    '--accept-multiclient',
    '/app/server',
  ]);
});

test('jvm: the JDWP agent in JAVA_TOOL_OPTIONS, suspend=y with wait', () => {
  assert.deepEqual(planDebug('b', 'deployment/b', c(['java', '-jar', 'app.jar'])).env, {
    JAVA_TOOL_OPTIONS: '-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:5005',
  });
  assert.deepEqual(
    planDebug('b', 'deployment/b', c(['java', '-jar', 'a.jar'], { JAVA_TOOL_OPTIONS: '-Xmx1g' }), { wait: true }).env,
    {
      JAVA_TOOL_OPTIONS: '-Xmx1g -agentlib:jdwp=transport=dt_socket,server=y,suspend=y,address=*:5005',
    },
  );
});

test('dotnet: no patch and no port (vsdbg over exec)', () => {
  const p = planDebug('n', 'deployment/n', c(['dotnet', 'Api.dll']));
  assert.equal(p.port, undefined);
  assert.equal(p.command, undefined);
  assert.equal(p.env, undefined);
});

test('errors name the target, the container and what to set', () => {
  assert.throws(
    () => planDebug('svc', 'deployment/svc', c(['/app/server'])),
    (e: unknown) =>
      e instanceof KloopError &&
      /cannot tell which runtime container "app" of deployment\/svc/.test(e.message) &&
      /dev\.svc\.debug\.runtime/.test(e.hint ?? ''),
  );
  assert.throws(
    () => planDebug('api', 'deployment/api', { name: 'app' }, { runtime: 'python' }),
    (e: unknown) => e instanceof KloopError && /sets none/.test(e.message),
  );
  assert.throws(
    () => planDebug('api', 'deployment/api', c(['sh', '-c', 'python app.py']), { runtime: 'python' }),
    (e: unknown) => e instanceof KloopError && /cannot wrap a shell command/.test(e.message),
  );
});
