// The debugger plan folded into a target's dev patch: the target's own patch kept, the debug port
// added to its forwards, and only pods already under the debugger accepted (with the restart loop
// of onSync: restart wrapped around the command, the debugger flags survive each restart).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planDebug } from '../../../src/dev/debug.ts';
import { runsUnderDebugger, withDebug, withDebugPort } from '../../../src/dev/debug-target.ts';
import { KloopError } from '../../../src/errors.ts';
import type { KubeObject } from '../../../src/kube/types.ts';

const pod = (container: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1' },
  spec: { containers: [{ name: 'web', ...container }] },
});

test('node: NODE_OPTIONS merged into the patch env; the restart loop is kept', () => {
  const plan = planDebug('web', 'deployment/web', { name: 'web', command: ['node', 'server.js'] });
  assert.deepEqual(withDebug({ env: { GREETING: 'dev' }, restartLoop: true }, plan), {
    env: { GREETING: 'dev', NODE_OPTIONS: '--inspect=0.0.0.0:9229' },
    restartLoop: true,
  });
  assert.equal(
    runsUnderDebugger(pod({ env: [{ name: 'NODE_OPTIONS', value: '--inspect=0.0.0.0:9229' }] }), 'web', plan),
    true,
  );
  assert.equal(runsUnderDebugger(pod({ env: [] }), 'web', plan), false, 'a pod of the old template');
});

test('python: the wrapped command replaces command and args, also inside the restart loop', () => {
  const plan = planDebug('api', 'deployment/api', { name: 'web', command: ['python', 'app.py'] });
  const o = withDebug({ restartLoop: true }, plan);
  assert.deepEqual([o.command, o.args], [['python', '-m', 'debugpy', '--listen', '0.0.0.0:5678', 'app.py'], []]);
  const looped = ['sh', '-c', 'trap …', 'kloop-restart', ...plan.command!];
  assert.equal(runsUnderDebugger(pod({ command: looped, args: [] }), 'web', plan), true);
  assert.equal(runsUnderDebugger(pod({ command: ['python', 'app.py'] }), 'web', plan), false);
});

test('the debug port joins the forwards; a clash with a forwarded port is an error', () => {
  const plan = planDebug('web', 'deployment/web', { name: 'web', command: ['node', 'a.js'] });
  assert.deepEqual(withDebugPort(['8080:80'], plan), ['8080:80', '9229:9229']);
  assert.throws(() => withDebugPort(['9229:80'], plan), KloopError);
  assert.deepEqual(withDebugPort(['8080:80'], planDebug('n', 'd/n', { name: 'n', command: ['dotnet', 'A.dll'] })), [
    '8080:80',
  ]);
});
