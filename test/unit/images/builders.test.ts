import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  dockerBuildArgs,
  dockerfileErrorLine,
  existsArgs,
  failingStep,
  ociBuildArgs,
  ociPushArgs,
  toDockerEngineArgs,
} from '../../../src/images/builders.ts';
import type { ResolvedImage } from '../../../src/config/project.ts';

const image: ResolvedImage = {
  name: 'web',
  image: 'reg.example.com/shop/web',
  context: '/p/src/web',
  dockerfile: '/p/docker/web.Dockerfile',
  buildArgs: { Z: 'last', A: 'first value' },
  target: 'prod',
  platform: 'linux/arm64',
  builder: 'docker',
};

test('docker build: dockerfile, sorted build args, target, platform, iidfile and no -t', () => {
  assert.deepEqual(dockerBuildArgs({ image, iidfile: '/tmp/iid', buildkit: false }), [
    'build',
    '-f',
    '/p/docker/web.Dockerfile',
    '--iidfile',
    '/tmp/iid',
    '--build-arg',
    'A=first value',
    '--build-arg',
    'Z=last',
    '--target',
    'prod',
    '--platform',
    'linux/arm64',
    '--force-rm',
    '/p/src/web',
  ]);
  const bk = dockerBuildArgs({
    image: { ...image, buildArgs: {}, target: undefined, platform: undefined },
    iidfile: 'i',
    buildkit: true,
  });
  assert.deepEqual(bk, ['build', '-f', '/p/docker/web.Dockerfile', '--iidfile', 'i', '--progress=plain', '/p/src/web']);
  assert.ok(!dockerBuildArgs({ image, iidfile: 'i' }).includes('-t'));
});

test('buildah and podman build: the same flags plus --layers', () => {
  const args = ociBuildArgs({ image: { ...image, builder: 'buildah' }, iidfile: '/tmp/iid' });
  assert.deepEqual(args.slice(0, 5), ['build', '-f', '/p/docker/web.Dockerfile', '--iidfile', '/tmp/iid']);
  assert.ok(args.includes('--layers'));
  assert.deepEqual(args.slice(args.indexOf('--target'), args.indexOf('--target') + 4), [
    '--target',
    'prod',
    '--platform',
    'linux/arm64',
  ]);
  assert.equal(args.at(-1), '/p/src/web');
  assert.deepEqual(existsArgs('podman', 'r:t'), ['image', 'exists', 'r:t']);
  assert.deepEqual(existsArgs('buildah', 'r:t').slice(0, 3), ['inspect', '--type', 'image']);
  assert.deepEqual(existsArgs('docker', 'r:t'), ['image', 'inspect', '--format', '{{json .RepoDigests}}', 'r:t']);
  assert.deepEqual(toDockerEngineArgs('r:t'), ['push', 'r:t', 'docker-daemon:r:t']);
  assert.deepEqual(ociPushArgs('r:t', '/d'), ['push', '--digestfile', '/d', 'r:t', 'docker://r:t']);
});

test('the failing step is found in classic, BuildKit and buildah output', () => {
  const classic =
    'Step 1/3 : FROM busybox\n ---> abc\nStep 2/3 : RUN make\n ---> Running in x\nmake: not found\nThe command returned a non-zero code: 127';
  assert.equal(failingStep(classic), 'step 2/3: RUN make');
  const buildkit = [
    '#5 [internal] load build context',
    '#6 [build 2/4] RUN go build',
    '#6 0.3 error',
    '#7 [stage-1 2/3] COPY x y',
    '------',
    ' > [build 2/4] RUN go build:',
    '------',
    'ERROR: failed to solve: exit code: 1',
  ].join('\n');
  assert.equal(failingStep(buildkit), 'step build 2/4: RUN go build');
  assert.equal(
    failingStep('STEP 1/2: FROM busybox\nSTEP 2/2: RUN false\nError: building at STEP "RUN false"'),
    'step 2/2: RUN false',
  );
  assert.equal(
    failingStep('Error response from daemon: dockerfile parse error line 2: unknown instruction: NOPE'),
    undefined,
  );
  assert.equal(
    dockerfileErrorLine('Error response from daemon: dockerfile parse error line 2: unknown instruction: NOPE'),
    2,
  );
  assert.equal(dockerfileErrorLine('Dockerfile:7\n--------------------'), 7);
  assert.equal(dockerfileErrorLine('no line here'), undefined);
});
