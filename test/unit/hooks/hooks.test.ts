import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Variable } from '../../../src/config/project.ts';
import { runHooks } from '../../../src/hooks/hooks.ts';
import { KloopError } from '../../../src/errors.ts';
import { makeProject, tempDir } from '../images/project.ts';

const tmp = tempDir('kloop-hooks-');
after(tmp.cleanup);

const variable = (name: string, value: string): Variable => ({ name, value, secret: false, source: 'default' });

test('hooks run in order with sh -c in the project root, with project variables and extra env', async () => {
  const project = makeProject(
    tmp.dir,
    {},
    {
      vars: {
        own: new Map([['TITLE', variable('TITLE', 'Shop Title')]]),
        process: { PATH: process.env.PATH, FROM_PROCESS: 'p' },
      },
      hooks: { beforeDeploy: ['echo "1 $TITLE $FROM_PROCESS $EXTRA $KLOOP_PROJECT" > out.txt', 'pwd >> out.txt'] },
    },
  );
  await runHooks(project, 'beforeDeploy', { EXTRA: 'x' });
  assert.equal(readFileSync(join(tmp.dir, 'out.txt'), 'utf8'), `1 Shop Title p x test\n${tmp.dir}\n`);
  await runHooks(project, 'afterDeploy'); // no commands: nothing happens
});

test('a failing command stops the hook with an error naming hook, command and exit code', async () => {
  const project = makeProject(tmp.dir, {}, { hooks: { beforePurge: ['exit 3', 'touch never.txt'] } });
  await assert.rejects(runHooks(project, 'beforePurge'), (e: unknown) => {
    assert.ok(e instanceof KloopError);
    assert.equal(e.message, 'hook beforePurge failed: `exit 3` exited with code 3');
    assert.match(e.hint ?? '', /hooks\.beforePurge/);
    return true;
  });
  assert.throws(() => readFileSync(join(tmp.dir, 'never.txt')));
});
