import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { kloop, TempDirs } from './helpers.ts';

const temp = new TempDirs();
after(() => temp.cleanup());

const files = {
  'kloop.yaml': `version: v1
name: shop
vars:
  GREETING: { default: hello }
  TOKEN: { secret: true }
commands:
  greet: 'printf "%s|%s|%s|%s\\n" "$GREETING" "$TOKEN" "$$HOME_MARK" "$KLOOP_PROJECT"'
  args: { run: 'printf "[%s]" "$@" dummy', description: prints its arguments }
  fail: exit 7
  where: pwd
`,
  '.env': 'TOKEN=from-env-file\n',
};

describe('kloop run', () => {
  it("runs with the project's variables in the environment", async () => {
    const dir = temp.make(files);
    const r = await kloop(dir, ['run', 'greet', '--var', 'GREETING=hi'], { HOME_MARK: 'home-ok' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hi|from-env-file|home-ok|shop\n');
  });

  it('appends arguments, each as one word', async () => {
    const dir = temp.make(files);
    const r = await kloop(dir, ['run', 'args', 'a b', "it's", '$HOME']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "[dummy][a b][it's][$HOME]");
  });

  it('passes the exit code through and runs in the project root', async () => {
    const dir = temp.make(files);
    const r = await kloop(dir, ['run', 'fail']);
    assert.equal(r.status, 7);
    const sub = temp.make({});
    const w = await kloop(sub, ['-c', `${dir}/kloop.yaml`, 'run', 'where']);
    assert.equal(w.status, 0, w.stderr);
    assert.equal(w.stdout.trim(), dir);
  });

  it('an unknown command is an error with a suggestion', async () => {
    const dir = temp.make(files);
    const r = await kloop(dir, ['run', 'gret']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no command "gret" in .*kloop\.yaml \(did you mean "greet"\?\)/);
    assert.match(r.stderr, /commands: greet, args, fail, where/);
  });
});
