import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { dockerUsesBuildKit } from '../../../src/images/buildkit.ts';
import { ignoreFileFor } from '../../../src/images/dockerignore.ts';
import { computeTag } from '../../../src/images/tag.ts';
import { makeProject, tempDir } from './project.ts';

const tmp = tempDir('kloop-buildkit-');
after(tmp.cleanup);

test('BuildKit when the buildx plugin is installed, unless DOCKER_BUILDKIT=0', () => {
  const only = (path: string) => (p: string) => p === path;
  assert.equal(dockerUsesBuildKit({ HOME: '/home/u' }, only('/home/u/.docker/cli-plugins/docker-buildx')), true);
  assert.equal(dockerUsesBuildKit({ DOCKER_CONFIG: '/cfg' }, only('/cfg/cli-plugins/docker-buildx')), true);
  assert.equal(dockerUsesBuildKit({}, only('/usr/libexec/docker/cli-plugins/docker-buildx')), true);
  assert.equal(
    dockerUsesBuildKit({ HOME: '/home/u' }, () => false),
    false,
  );
  assert.equal(
    dockerUsesBuildKit({ DOCKER_BUILDKIT: '0' }, () => true),
    false,
  );
});

test('each builder reads its own ignore file, and the tag follows it', () => {
  const root = tmp.dir;
  const dockerfile = join(root, 'app.Dockerfile');
  writeFileSync(dockerfile, 'FROM busybox:1.36\nCOPY . /ctx\n');
  writeFileSync(join(root, 'a.txt'), 'a');
  writeFileSync(join(root, 'b.txt'), 'b');
  assert.equal(ignoreFileFor(root, dockerfile, 'buildkit'), undefined);
  writeFileSync(join(root, '.dockerignore'), 'b.txt\n');
  writeFileSync(`${dockerfile}.dockerignore`, 'a.txt\n');
  assert.equal(ignoreFileFor(root, dockerfile, 'buildkit'), `${dockerfile}.dockerignore`);
  assert.equal(ignoreFileFor(root, dockerfile, 'classic'), join(root, '.dockerignore'));
  assert.equal(ignoreFileFor(root, dockerfile, 'oci'), join(root, '.dockerignore'));
  writeFileSync(join(root, '.containerignore'), 'a.txt\nb.txt\n');
  assert.equal(ignoreFileFor(root, dockerfile, 'oci'), join(root, '.containerignore'));

  // classic builder (DOCKER_BUILDKIT=0): .dockerignore leaves out b.txt, so a.txt counts
  const classic = makeProject(
    root,
    { app: { image: 'r/app', dockerfile } },
    {
      vars: { own: new Map(), process: { DOCKER_BUILDKIT: '0' } },
    },
  );
  const before = computeTag(classic, 'app').tag;
  writeFileSync(join(root, 'b.txt'), 'b changed');
  assert.equal(computeTag(classic, 'app').tag, before);
  writeFileSync(join(root, 'a.txt'), 'a changed');
  assert.notEqual(computeTag(classic, 'app').tag, before);
});
