// The remote-cluster path end to end: the sandbox behind a context that does not share the local
// Docker engine ("remote-dev"), a real registry with basic auth, and the real kloop CLI. Images are
// pushed (only when the registry lacks the tag), pods pull them with an imagePullSecret, a wrong
// password stops the deploy before anything is applied, and promote pins the registry's digest.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot as ROOT, runCli } from '../../helpers/cli.ts';
import { type Registry, startRegistry } from '../../helpers/registry.ts';
import { eventually, type Sandbox, startSandbox } from '../../helpers/sandbox.ts';

const auth = { username: 'dev', password: 'pushpull' };

interface PodJson {
  metadata: { name: string };
  spec: { containers: Array<{ image: string }> };
  status?: { containerStatuses?: Array<{ imageID: string; state?: { running?: object } }> };
}

describe('kloop on a remote cluster: build → push → deploy → promote with digests', () => {
  let sandbox: Sandbox;
  let registry: Registry;
  const dir = mkdtempSync(join(tmpdir(), 'kloop-remote-test-'));
  const app = join(dir, 'app');
  const dockerConfig = join(dir, 'docker');
  let repo: string;
  let ref = '';
  let digest = '';

  const env = () => ({ ...sandbox.env, DOCKER_CONFIG: dockerConfig, CI: 'true', NO_COLOR: '1' });
  const kloop = async (...args: string[]) => {
    const r = await runCli(args, { cwd: app, env: env() });
    return { ...r, code: r.code ?? 1 };
  };
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', ...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const login = (password: string) => {
    mkdirSync(dockerConfig, { recursive: true });
    const entry = { auth: Buffer.from(`${auth.username}:${password}`).toString('base64') };
    writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [registry.host]: entry } }));
  };
  /** The digest the registry itself serves for a tag (the oracle: not kloop's code). */
  const registryDigest = async (tag: string) => {
    const res = await fetch(`${registry.url}/v2/${repo}/manifests/${tag}`, {
      method: 'HEAD',
      headers: {
        Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`,
        Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
      },
    });
    assert.equal(res.status, 200, `registry HEAD ${tag}`);
    return res.headers.get('docker-content-digest')!;
  };
  const uploads = (from: number) =>
    registry
      .requests()
      .slice(from)
      .filter((r) => /^POST \/v2\/.*\/blobs\/uploads\/$|^PUT \/v2\/.*\/manifests\//.test(r));

  before(async () => {
    sandbox = await startSandbox();
    registry = await startRegistry({ auth });
    // the same cluster under a name that does not share the local Docker engine
    await sandbox.kubectl([
      'config',
      'set-context',
      'remote-dev',
      '--cluster=kloop-sandbox',
      '--user=kloop-sandbox',
      '--namespace=default',
    ]);
    await sandbox.kubectl([
      'create',
      'secret',
      'docker-registry',
      'regcred',
      `--docker-server=${registry.host}`,
      `--docker-username=${auth.username}`,
      `--docker-password=${auth.password}`,
    ]);
    login(auth.password);
    repo = `kloop-remote-${randomBytes(3).toString('hex')}/web`;

    const fleet = join(dir, 'fleet.git');
    execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', fleet]);
    const seed = join(dir, 'seed');
    execFileSync('git', ['init', '--quiet', '--initial-branch=main', seed]);
    writeFileSync(join(seed, 'README.md'), '# fleet\n');
    git(seed, 'add', '.');
    git(seed, 'commit', '--quiet', '-m', 'fleet');
    git(seed, 'push', '--quiet', fleet, 'main');

    cpSync(join(ROOT, 'examples/src/web'), join(app, 'src/web'), { recursive: true });
    mkdirSync(join(app, 'deploy'));
    writeFileSync(
      join(app, 'kloop.yaml'),
      `version: v1
name: remote
images:
  web:
    image: ${registry.host}/${repo}
    context: src/web
    pin: digest
apps:
  web:
    manifests: [deploy/*.yaml]
    timeout: 90s
environments:
  staging:
    kubeContext: remote-dev
    gitops: { repo: ../fleet.git, branch: main, path: "clusters/staging/{app}.yaml" }
`,
    );
    writeFileSync(
      join(app, 'deploy/web.yaml'),
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      imagePullSecrets: [{ name: regcred }]
      containers:
        - { name: web, image: ${registry.host}/${repo} }
`,
    );
    writeFileSync(join(app, '.gitignore'), '.kloop/\n');
    execFileSync('git', ['init', '--quiet', '--initial-branch=main', app]);
    git(app, 'add', '.');
    git(app, 'commit', '--quiet', '-m', 'remote');
  });
  after(async () => {
    if (ref) {
      try {
        execFileSync('docker', ['image', 'rm', '-f', ref, `${ref.replace(/:[^:/]+$/, '')}@${digest}`], {
          stdio: 'ignore',
        });
      } catch {
        // already gone
      }
    }
    await sandbox?.stop();
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kloop use context names the registry a remote context pulls from, and why', async () => {
    const r = await kloop('use', 'context', 'remote-dev');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /pushed to a registry: remote-dev does not share the local Docker engine/);
    assert.ok(r.stderr.includes(`${registry.host} (images.web.image)`), r.stderr);
  });

  it('build pushes the image and reports the digest the registry serves', async () => {
    const r = await kloop('build', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const web = (JSON.parse(r.stdout) as { images: Record<string, Record<string, unknown>> }).images.web!;
    ref = String(web.ref);
    assert.equal(web.pushed, true);
    assert.equal(web.skipped, false);
    digest = await registryDigest(String(web.tag));
    assert.equal(web.digest, digest);
  });

  it('a second build of unchanged inputs uploads nothing, even without the image in the local engine', async () => {
    execFileSync('docker', ['image', 'rm', ref], { stdio: 'ignore' });
    const mark = registry.requests().length;
    const r = await kloop('build', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const web = (JSON.parse(r.stdout) as { images: Record<string, Record<string, unknown>> }).images.web!;
    assert.deepEqual([web.skipped, web.pushed, web.digest], [true, false, digest]);
    assert.match(r.stderr, /is in the registry \(skipped\)/);
    assert.deepEqual(uploads(mark), []);
    assert.ok(
      registry
        .requests()
        .slice(mark)
        .some((q) => q.startsWith(`HEAD /v2/${repo}/manifests/`)),
    );
  });

  it('deploy runs pods that pull the pinned digest from the registry with the pull secret', async () => {
    const mark = registry.requests().length;
    const r = await kloop('deploy');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(uploads(mark), []);
    const pod = await eventually(async () => {
      const out = await sandbox.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json']);
      const items = (JSON.parse(out.stdout) as { items: PodJson[] }).items;
      return items.find((p) => p.status?.containerStatuses?.[0]?.state?.running);
    });
    assert.equal(pod.spec.containers[0]?.image, `${ref}@${digest}`);
    assert.equal(pod.status?.containerStatuses?.[0]?.imageID, `docker-pullable://${registry.host}/${repo}@${digest}`);
    const events = await sandbox.kubectl([
      'get',
      'events',
      '--field-selector',
      `involvedObject.name=${pod.metadata.name}`,
    ]);
    assert.match(events.stdout, /Successfully pulled image/);
    assert.ok(
      registry
        .requests()
        .slice(mark)
        .some((q) => /^(GET|HEAD) /.test(q) && q.includes(`/v2/${repo}/manifests/${digest}`)),
      registry.requests().slice(mark).join('\n'),
    );
  });

  it('a wrong password is one clear error before anything is applied', async () => {
    login('wrong-password');
    writeFileSync(join(app, 'deploy/marker.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: marker }\n');
    try {
      const r = await kloop('deploy');
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`error: registry ${registry.host.replaceAll('.', '\\.')} refused the credentials of user "dev"`),
      );
      assert.match(r.stderr, /docker login 127\.0\.0\.1:\d+/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal((r.stderr.match(/^error:/gm) ?? []).length, 1);
      const marker = await sandbox.kubectl(['get', 'configmap', 'marker'], { allowFailure: true });
      assert.match(marker.stderr, /NotFound/);
    } finally {
      login(auth.password);
      rmSync(join(app, 'deploy/marker.yaml'));
    }
  });

  it('promote --env writes image@sha256 equal to the registry digest', async () => {
    const r = await kloop('promote', '--env', 'staging');
    assert.equal(r.code, 0, r.stderr);
    const web = execFileSync('git', ['show', 'kloop/remote/staging:clusters/staging/web.yaml'], {
      cwd: join(dir, 'fleet.git'),
      encoding: 'utf8',
    });
    assert.ok(web.includes(`image: ${ref}@${digest}\n`), web);
  });
});
