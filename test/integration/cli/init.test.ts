import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { kloop, TempDirs } from './helpers.ts';

const temp = new TempDirs();
after(() => temp.cleanup());

const repo = {
  'services/api/Dockerfile': 'FROM busybox:1.36\n',
  'services/worker/Dockerfile.dev': 'FROM busybox:1.36\n',
  'deploy/charts/api/Chart.yaml': 'apiVersion: v2\nname: api\nversion: 0.1.0\n',
  'deploy/charts/api/templates/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\n',
  'deploy/charts/api/charts/sub/Chart.yaml': 'apiVersion: v2\nname: sub\nversion: 0.1.0\n',
  'deploy/worker/base/kustomization.yaml': 'resources: [deployment.yaml]\n',
  'deploy/worker/base/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\n',
  'deploy/worker/overlays/dev/kustomization.yaml': 'resources: [../../base]\n',
  'deploy/redis/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: redis}\n',
  'docs/notes.yaml': 'just: data\n',
  '.gitignore': 'node_modules/\n.env\n',
};

describe('kloop init', () => {
  it('detects Dockerfiles, charts, kustomizations and manifest dirs and writes a config that loads', async () => {
    const dir = temp.make(repo, 'kloop-init-My_Repo-');
    const r = await kloop(dir, ['init', '--name', 'shop']);
    assert.equal(r.status, 0, r.stderr);
    const text = readFileSync(join(dir, 'kloop.yaml'), 'utf8');
    const first = text.split('\n')[0] ?? '';
    assert.match(first, /^# yaml-language-server: \$schema=\S+kloop\.schema\.json$/);
    const schemaPath = first.replace(/^.*\$schema=/, '');
    assert.ok(existsSync(isAbsolute(schemaPath) ? schemaPath : resolve(dir, schemaPath)), schemaPath);

    const config = parse(text);
    assert.equal(config.name, 'shop');
    assert.deepEqual(config.images, {
      api: { image: 'shop/api', context: 'services/api' },
      'worker-dev': {
        image: 'shop/worker-dev',
        context: 'services/worker',
        dockerfile: 'services/worker/Dockerfile.dev',
      },
    });
    assert.deepEqual(config.apps, {
      api: { helm: { chart: 'deploy/charts/api' } },
      worker: { kustomize: 'deploy/worker/overlays/dev' },
      redis: { manifests: ['deploy/redis/*.yaml'] },
    });
    // the written file is accepted by the loader, through the real CLI
    const print = await kloop(dir, ['print', '-o', 'json']);
    assert.equal(print.status, 0, print.stderr);
    assert.equal(JSON.parse(print.stdout).apps.api.helm.chart, join(dir, 'deploy/charts/api'));

    const gitignore = readFileSync(join(dir, '.gitignore'), 'utf8');
    assert.equal(gitignore.match(/^\.env$/gm)?.length, 1, gitignore);
    assert.match(gitignore, /^\.kloop\/$/m);
    assert.match(r.stderr, /added to \.gitignore: \.kloop\//);
  });

  it('refuses to overwrite without --force', async () => {
    const dir = temp.make({ 'kloop.yaml': 'version: v1\nname: mine\n' });
    const r = await kloop(dir, ['init']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /error: kloop\.yaml already exists/);
    assert.match(r.stderr, /--force/);
    assert.equal(readFileSync(join(dir, 'kloop.yaml'), 'utf8'), 'version: v1\nname: mine\n');
    const forced = await kloop(dir, ['init', '--force', '--name', 'fresh']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(readFileSync(join(dir, 'kloop.yaml'), 'utf8'), /^name: fresh$/m);
    assert.match(readFileSync(join(dir, '.gitignore'), 'utf8'), /^\.kloop\/\n\.env\n$/m);
  });

  it('converts devspace.yaml when skaffold.yaml is there too, and names the one it left', async () => {
    const dir = temp.make({
      'skaffold.yaml':
        'apiVersion: skaffold/v4beta6\nkind: Config\nbuild:\n  artifacts:\n    - image: gcr.io/acme/frontend:latest\n      context: web\n',
      'web/Dockerfile': 'FROM busybox:1.36\n',
      'devspace.yaml':
        'version: v2beta1\nimages:\n  backend:\n    image: ghcr.io/acme/backend\n    dockerfile: ./be/Dockerfile\n',
      'be/Dockerfile': 'FROM busybox:1.36\n',
    });
    const r = await kloop(dir, ['init', '--name', 'acme']);
    assert.equal(r.status, 0, r.stderr);
    const text = readFileSync(join(dir, 'kloop.yaml'), 'utf8');
    assert.match(text, /# Converted from devspace\.yaml/);
    const config = parse(text);
    // DevSpace builds with the context ./ unless the image says otherwise
    assert.deepEqual(config.images, {
      backend: { image: 'ghcr.io/acme/backend', context: '.', dockerfile: 'be/Dockerfile' },
    });
    assert.match(text, /^# - skaffold\.yaml: \(whole file\): not converted: .*--from skaffold\.yaml/m);
    assert.match(r.stderr, /skaffold\.yaml: \(whole file\): not converted/);
    assert.match(text, /# No Helm chart, kustomization or manifest directory was found/);

    const other = await kloop(dir, ['init', '--force', '--from', 'skaffold.yaml', '--name', 'acme']);
    assert.equal(other.status, 0, other.stderr);
    assert.deepEqual(parse(readFileSync(join(dir, 'kloop.yaml'), 'utf8')).images, {
      frontend: { image: 'gcr.io/acme/frontend', context: 'web' },
    });
  });

  it('rejects an invalid --name', async () => {
    const dir = temp.make({});
    const r = await kloop(dir, ['init', '--name', 'My App']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--name My App is not a valid project name/);
    assert.equal(existsSync(join(dir, 'kloop.yaml')), false);
    writeFileSync(join(dir, 'x'), '');
  });
});
