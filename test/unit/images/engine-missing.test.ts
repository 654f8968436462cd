// What a user sees when Docker is not there: a missing docker binary, an engine that is not running.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildImages } from '../../../src/images/build.ts';
import { KloopError } from '../../../src/errors.ts';
import { makeProject, tempDir } from './project.ts';

const tmp = tempDir('kloop-noengine-');
after(tmp.cleanup);
writeFileSync(join(tmp.dir, 'Dockerfile'), 'FROM busybox:1.36\n');

test('a docker binary that does not exist is named, with the tools: hint', async () => {
  const base = makeProject(tmp.dir, { web: { image: 'kloop-unit/web' } });
  const project = { ...base, tools: { ...base.tools, docker: join(tmp.dir, 'no-such-docker') } };
  await assert.rejects(buildImages(project, [], { onOutput: () => {} }), (e: unknown) => {
    assert.ok(e instanceof KloopError);
    assert.match(e.message, /no-such-docker was not found/);
    assert.match(e.hint ?? '', /tools:/);
    return true;
  });
});

test('an engine that is not running is one clear error before any build', async () => {
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = `unix://${join(tmp.dir, 'no-engine.sock')}`;
  try {
    const project = makeProject(tmp.dir, { web: { image: 'kloop-unit/web' } });
    await assert.rejects(buildImages(project, [], { onOutput: () => {} }), (e: unknown) => {
      assert.ok(e instanceof KloopError);
      assert.equal(e.message, 'the Docker Engine is not reachable');
      assert.match(e.hint ?? '', /docker info/);
      return true;
    });
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
});
