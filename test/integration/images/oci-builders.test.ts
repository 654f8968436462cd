// buildah and podman for real (rootful, Debian's packages): the example image built by each gives
// the tag Docker's build gets (tags come from the inputs) and the same content; a shared-engine
// cluster gets the image copied into Docker; a remote one gets it pushed to a real registry with
// the Docker CLI's credentials; a missing builder is one error naming its package.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ResolvedImage } from '../../../src/config/project.ts';
import { buildImages } from '../../../src/images/build.ts';
import { runCliSync } from '../../helpers/cli.ts';
import { type Registry, startRegistry } from '../../helpers/registry.ts';
import { makeProject, tempDir } from '../../unit/images/project.ts';
import { docker, dockerAvailable } from './docker.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const available = await dockerAvailable();

function tool(name: string): string {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return name;
  } catch {
    throw new Error(`${name} is not installed: apt-get install ${name} (scripts/setup.sh does)`);
  }
}

describe('buildah and podman builders', { skip: available.ok ? false : available.skip }, () => {
  const tmp = tempDir('kloop-oci-');
  const prefix = `kloop-oci-${randomBytes(3).toString('hex')}`;
  const version = `v-${randomBytes(3).toString('hex')}`;
  const refs: string[] = [];
  let registry: Registry | undefined;
  after(async () => {
    for (const ref of refs) {
      spawnSync('docker', ['image', 'rm', '-f', ref], { stdio: 'ignore' });
      spawnSync('buildah', ['rmi', '-f', ref], { stdio: 'ignore' });
    }
    await registry?.stop();
    tmp.cleanup();
  });

  const app = join(tmp.dir, 'app');
  cpSync(join(ROOT, 'examples/src/web'), join(app, 'src/web'), { recursive: true });
  const image = (builder: ResolvedImage['builder'], repo: string) => ({
    image: repo,
    builder,
    context: join(app, 'src/web'),
    buildArgs: { APP_VERSION: version },
  });

  test('the example image: the same tag from docker, buildah and podman, each image with the build’s content', async () => {
    tool('buildah');
    tool('podman');
    const project = makeProject(
      app,
      {
        docker: image('docker', `${prefix}/docker`),
        buildah: image('buildah', `${prefix}/buildah`),
        podman: image('podman', `${prefix}/podman`),
      },
      // the sandbox runs pods on the Docker engine: buildah/podman images are copied there
      { build: { load: 'auto', parallel: 1 }, cluster: { namespace: 'default', context: 'kloop-sandbox' } },
    );
    const built = await buildImages(project, [], { onOutput: () => {} });
    for (const b of Object.values(built)) refs.push(b.ref);
    const tags = new Set(Object.values(built).map((b) => b.tag));
    assert.equal(tags.size, 1, JSON.stringify(built));
    for (const name of ['docker', 'buildah', 'podman']) {
      const b = built[name]!;
      assert.equal(b.skipped, false, name);
      assert.equal(docker(['run', '--rm', b.ref, 'cat', '/www/version.txt']).trim(), version, name);
    }
    // buildah and podman share the rootful store, where the image stays
    for (const name of ['buildah', 'podman']) {
      execFileSync('buildah', ['inspect', '--type', 'image', built[name]!.ref], { stdio: 'ignore' });
    }
    const copies: string[] = [];
    const again = await buildImages(project, [], { onOutput: (_image, line) => copies.push(line) });
    assert.deepEqual(copies, [], 'a skipped image already in Docker is not copied again');
    assert.deepEqual(
      Object.values(again).map((b) => b.skipped),
      [true, true, true],
    );
  });

  test('buildah pushes to a registry with the Docker CLI’s credentials; the registry’s digest is reported', async () => {
    tool('buildah');
    registry = await startRegistry({ auth: { username: 'ci', password: 'pw' } });
    const dockerConfig = join(tmp.dir, 'docker');
    mkdirSync(dockerConfig);
    writeFileSync(
      join(dockerConfig, 'config.json'),
      JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from('ci:pw').toString('base64') } } }),
    );
    const repo = `${registry.host}/${prefix}/web`;
    const project = makeProject(
      app,
      { web: image('buildah', repo) },
      {
        build: { load: 'auto', parallel: 1 },
        cluster: { namespace: 'default', context: 'remote-dev' },
        vars: { own: new Map(), process: { DOCKER_CONFIG: dockerConfig } },
      },
    );
    const first = (await buildImages(project, [], { onOutput: () => {} })).web!;
    refs.push(first.ref);
    assert.equal(first.pushed, true);
    const head = await fetch(`${registry.url}/v2/${prefix}/web/manifests/${first.tag}`, {
      method: 'HEAD',
      headers: {
        Authorization: `Basic ${Buffer.from('ci:pw').toString('base64')}`,
        Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      },
    });
    assert.equal(head.status, 200);
    assert.equal(first.digest, head.headers.get('docker-content-digest'));
    const second = (await buildImages(project, [], { onOutput: () => {} })).web!;
    assert.deepEqual([second.skipped, second.pushed, second.digest], [true, false, first.digest]);
  });

  test('a missing builder is one clear error naming the package to install', () => {
    // a PATH with node, docker and git but neither buildah nor podman
    const bin = join(tmp.dir, 'bin');
    mkdirSync(bin);
    for (const name of ['docker', 'git']) {
      symlinkSync(execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim(), join(bin, name));
    }
    writeFileSync(
      join(app, 'kloop.yaml'),
      `version: v1\nname: oci\nimages:\n  web:\n    image: ${prefix}/missing\n    context: src/web\n    builder: podman\n`,
    );
    const r = runCliSync(['build'], {
      cwd: app,
      env: { ...process.env, PATH: bin, CI: 'true', KUBECONFIG: join(tmp.dir, 'none') },
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^error: podman was not found/m);
    assert.match(r.stderr, /apt-get install podman/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
