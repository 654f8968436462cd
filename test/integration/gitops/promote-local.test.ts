// kloop promote and diff against a real bare GitOps repository on disk, through the real CLI.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { git, makeShop, type Shop } from './shop.ts';

const BRANCH = 'kloop/shop/staging';
const META = 'clusters/staging/.kloop/shop/hydrator.metadata';

/** What "merging the PR" does: main takes the promote branch. */
function merge(shop: Shop, branch = BRANCH) {
  git(shop.fleet, 'update-ref', 'refs/heads/main', `refs/heads/${branch}`);
}

describe('promote to a local GitOps repository', () => {
  let shop: Shop;
  before(() => {
    shop = makeShop();
  });
  after(() => shop.cleanup());

  it('pushes the render with metadata to kloop/<project>/<env>, using only the environment values', async () => {
    const mainBefore = shop.revParse('main');
    const r = await shop.kloop(['promote', '--env', 'staging']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /pushed kloop\/shop\/staging/);
    assert.match(r.stderr, /open a pull request from kloop\/shop\/staging into main/);
    assert.equal(shop.revParse('main'), mainBefore, 'the base branch is never written');
    assert.deepEqual(shop.files(BRANCH), [
      'README.md',
      'clusters/staging/.kloop/shop/README.md',
      META,
      'clusters/staging/cache.yaml',
      'clusters/staging/web.yaml',
    ]);
    const web = shop.show(BRANCH, 'clusters/staging/web.yaml')!;
    assert.match(web, /replicas: 2\n/);
    assert.match(web, /value: hello staging\n/);
    assert.doesNotMatch(web, /local only value|replicas: 99/, 'the local .env never feeds an environment');
    assert.match(web, /image: registry\.example\.com\/shop\/web:[0-9a-f]{16}\n/);
    assert.match(shop.show(BRANCH, 'clusters/staging/cache.yaml')!, /name: cache-config/);

    const meta = JSON.parse(shop.show(BRANCH, META)!);
    const head = git(shop.app, 'rev-parse', 'HEAD').trim();
    assert.equal(meta.drySha, head);
    assert.equal(meta.repoURL, 'https://git.example.com/team/shop.git');
    assert.equal(meta.author, 'Dev Eloper <dev@example.com>');
    assert.equal(meta.references[0].commit.sha, head);
    assert.equal(meta.kloop.environment, 'staging');
    assert.equal(meta.kloop.dirty, false);
    assert.match(meta.kloop.images.web.ref, /^registry\.example\.com\/shop\/web:[0-9a-f]{16}$/);
    assert.deepEqual(meta.kloop.apps.web, { namespace: 'shop', path: 'clusters/staging/web.yaml', objects: 2 });
    assert.match(shop.show(BRANCH, 'clusters/staging/.kloop/shop/README.md')!, new RegExp(`git checkout ${head}`));

    const message = git(shop.fleet, 'log', '-1', '--format=%B', BRANCH);
    assert.match(message, new RegExp(`^Kloop-Source-Commit: ${head}$`, 'm'));
    assert.match(message, /^Kloop-Environment: staging$/m);
    assert.match(message, /^Kloop-Image: web=registry\.example\.com\/shop\/web:[0-9a-f]{16}$/m);
    assert.equal(git(shop.fleet, 'log', '-1', '--format=%P', BRANCH).trim(), mainBefore);
  });

  it('adds nothing when run again without a change', async () => {
    const sha = shop.revParse(BRANCH);
    const r = await shop.kloop(['promote', '--env', 'staging']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /already holds this render/);
    assert.equal(shop.revParse(BRANCH), sha);
  });

  it('updates the same branch on a change; diff and --dry-run print the same summary', async () => {
    const before = shop.revParse(BRANCH);
    shop.write('deploy/web/service.yaml', shop.read('deploy/web/service.yaml').replace('port: 80', 'port: 8080'));
    shop.commit('web: port 8080');
    const diff = await shop.kloop(['diff', '--env', 'staging']);
    assert.equal(diff.code, 3, diff.stderr);
    const dry = await shop.kloop(['promote', '--env', 'staging', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout, diff.stdout);
    assert.match(diff.stdout, /^<!-- kloop:promote project=shop env=staging -->$/m);
    assert.match(diff.stdout, /\| added \| Service \| shop \| web \|/);
    assert.match(diff.stdout, /\+ {4}- port: 8080/);
    assert.equal(shop.revParse(BRANCH), before, '--dry-run pushes nothing');

    const r = await shop.kloop(['promote', '--env', 'staging']);
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(shop.revParse(BRANCH), before);
    assert.match(shop.show(BRANCH, 'clusters/staging/web.yaml')!, /port: 8080/);
    assert.equal(git(shop.fleet, 'rev-list', '--count', `main..${BRANCH}`).trim(), '1', 'one commit on top of main');
  });

  it('after the merge: nothing to promote, and deleted objects and apps disappear', async () => {
    merge(shop);
    const sha = shop.revParse(BRANCH);
    const same = await shop.kloop(['promote', '--env', 'staging']);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stderr, /nothing to promote/);
    assert.equal(shop.revParse(BRANCH), sha, 'no push');
    const noDiff = await shop.kloop(['diff', '--env', 'staging']);
    assert.equal(noDiff.code, 0, noDiff.stderr);
    assert.equal(noDiff.stdout, '');

    rmSync(path.join(shop.app, 'deploy/web/service.yaml'));
    shop.write(
      'kloop.yaml',
      shop
        .read('kloop.yaml')
        .replace(/ {2}cache:\n {4}namespace: shop\n {4}manifests: \[deploy\/cache\/\*\.yaml\]\n/, ''),
    );
    shop.commit('drop the web Service and the cache app');
    const diff = await shop.kloop(['diff', '--env', 'staging']);
    assert.equal(diff.code, 3);
    assert.match(diff.stdout, /0 added, 0 changed, 2 deleted/);
    assert.match(diff.stdout, /\| deleted \| ConfigMap \| shop \| cache-config \|/);
    assert.match(diff.stdout, /\| deleted \| Service \| shop \| web \|/);
    const r = await shop.kloop(['promote', '--env', 'staging']);
    assert.equal(r.code, 0, r.stderr);
    const files = shop.files(BRANCH);
    assert.ok(!files.includes('clusters/staging/cache.yaml'), files.join(', '));
    const web = shop.show(BRANCH, 'clusters/staging/web.yaml')!;
    assert.doesNotMatch(web, /kind: Service/);
    assert.match(web, /kind: Deployment/);
  });

  it('refuses a dirty tree unless --allow-dirty, which is marked', async () => {
    shop.write(
      'deploy/web/service.yaml',
      'apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { ports: [{ port: 81 }] }\n',
    );
    const r = await shop.kloop(['promote', '--env', 'staging']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /uncommitted changes/);
    assert.match(r.stderr, /--allow-dirty/);
    const ok = await shop.kloop(['promote', '--env', 'staging', '--allow-dirty']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(shop.show(BRANCH, META)!).kloop.dirty, true);
    assert.match(git(shop.fleet, 'log', '-1', '--format=%B', BRANCH), /^Kloop-Source-Dirty: true$/m);
    rmSync(path.join(shop.app, 'deploy/web/service.yaml'));
  });
});

describe('validation and usage', () => {
  let shop: Shop;
  before(() => {
    shop = makeShop();
  });
  after(() => shop.cleanup());

  it('a validation error blocks the promotion before anything is pushed', async () => {
    shop.write('deploy/web/service.yaml', shop.read('deploy/web/service.yaml').replace('port: 80', 'port: eighty'));
    shop.commit('broken port');
    const r = await shop.kloop(['promote', '--env', 'staging']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /schema validation failed: app web: Service\/shop\/web/);
    assert.equal(shop.revParse(BRANCH), undefined);
  });

  it('needs --env (usage error) and reports data with -o json', async () => {
    const usage = await shop.kloop(['diff']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /kloop diff needs --env NAME/);
    shop.write('deploy/web/service.yaml', shop.read('deploy/web/service.yaml').replace('port: eighty', 'port: 80'));
    shop.commit('fixed port');
    const r = await shop.kloop(['diff', '--env', 'staging', '-o', 'json']);
    assert.equal(r.code, 3, r.stderr);
    const data = JSON.parse(r.stdout);
    assert.equal(data.changed, true);
    assert.equal(data.branch, BRANCH);
    assert.deepEqual(
      data.changes.map((c: { change: string; kind: string }) => `${c.change} ${c.kind}`),
      ['added ConfigMap', 'added Deployment', 'added Service'],
    );
  });

  it('records variables set outside the commit in the reproduce commands', async () => {
    const r = await shop.kloop(['diff', '--env', 'staging', '--var', 'GREETING=hi there']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /\+ {14}value: hi there/);
    assert.match(
      r.stdout,
      /kloop render --config kloop\.yaml --env staging --image web=\S+ --var GREETING='hi there'\n/,
    );
  });

  it('never writes through a symbolic link in the GitOps repository', async () => {
    const outside = path.join(shop.dir, 'outside');
    mkdirSync(path.join(outside, 'staging'), { recursive: true });
    writeFileSync(path.join(outside, 'staging', 'web.yaml'), 'precious\n');
    const work = path.join(shop.dir, 'link-work');
    git(shop.dir, 'clone', '--quiet', shop.fleet, work);
    symlinkSync(outside, path.join(work, 'clusters'));
    git(work, 'add', 'clusters');
    git(work, '-c', 'user.name=x', '-c', 'user.email=x@x', 'commit', '--quiet', '-m', 'link');
    git(work, 'push', '--quiet', 'origin', 'main');
    const r = await shop.kloop(['promote', '--env', 'staging']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the GitOps repository has a symbolic link at clusters/);
    assert.equal(readFileSync(path.join(outside, 'staging', 'web.yaml'), 'utf8'), 'precious\n');
  });

  it('names a GitOps repository without the base branch, or one that does not exist', async () => {
    git(shop.fleet, 'update-ref', '-d', 'refs/heads/main');
    const r = await shop.kloop(['diff', '--env', 'staging']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the GitOps repository .*fleet\.git has no branch main/);
    assert.match(r.stderr, /hint: create it/);
    rmSync(shop.fleet, { recursive: true, force: true });
    const gone = await shop.kloop(['diff', '--env', 'staging']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /the GitOps repository .*fleet\.git does not exist/);
  });
});

describe('the secret guard', () => {
  let shop: Shop;
  before(() => {
    shop = makeShop();
  });
  after(() => shop.cleanup());

  it('refuses plain Secret data, naming the object and key', async () => {
    shop.write(
      'deploy/cache/secret.yaml',
      'apiVersion: v1\nkind: Secret\nmetadata: { name: cache-auth }\nstringData: { password: hunter2 }\n',
    );
    shop.commit('plain secret');
    const r = await shop.kloop(['promote', '--env', 'staging']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /refusing to promote to staging: app cache, Secret\/shop\/cache-auth: stringData\.password is plain Secret data/,
    );
    assert.equal(shop.revParse(BRANCH), undefined, 'nothing pushed');
  });

  // SOPS-encrypted Secrets pass the guard (test/unit/gitops/guard.test.ts); render's schema check
  // still rejects their sops: field, so they are not part of this end-to-end run.
  it('lets ExternalSecrets pass', async () => {
    rmSync(path.join(shop.app, 'deploy/cache/secret.yaml'));
    shop.write(
      'deploy/cache/external.yaml',
      'apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: { name: cache-token }\nspec:\n  secretStoreRef: { name: vault, kind: ClusterSecretStore }\n  target: { name: cache-token }\n  data: [{ secretKey: token, remoteRef: { key: cache/token } }]\n',
    );
    shop.commit('external secret');
    const r = await shop.kloop(['promote', '--env', 'staging']);
    assert.equal(r.code, 0, r.stderr);
    const cache = shop.show(BRANCH, 'clusters/staging/cache.yaml')!;
    assert.match(cache, /kind: ExternalSecret/);
  });

  it("refuses a secret variable's value anywhere, without printing it", async () => {
    shop.write('deploy/cache/configmap.yaml', shop.read('deploy/cache/configmap.yaml') + '  token: "${API_TOKEN}"\n');
    shop.commit('leak');
    const value = 's3cr3t-token-from-ci';
    const r = await shop.kloop(['promote', '--env', 'staging'], { API_TOKEN: value });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ConfigMap\/shop\/cache-config: data\.token holds the secret variable API_TOKEN/);
    assert.ok(!r.stderr.includes(value) && !r.stdout.includes(value));
    const d = await shop.kloop(['diff', '--env', 'staging'], { API_TOKEN: value });
    assert.equal(d.code, 1, 'diff refuses too: its output would show the value');
  });
});

describe('promote runs the render hooks', () => {
  let shop: Shop;
  before(() => {
    shop = makeShop();
  });
  after(() => shop.cleanup());

  it('a failing beforeRender hook stops diff and promote before anything is cloned or pushed', async () => {
    const config = path.join(shop.app, 'kloop.yaml');
    const original = readFileSync(config, 'utf8');
    shop.write('kloop.yaml', `${original}\nhooks:\n  beforeRender: ["echo checked >> hooks.log"]\n`);
    shop.write('.gitignore', `${readFileSync(path.join(shop.app, '.gitignore'), 'utf8')}\nhooks.log\n`);
    shop.commit('a render check');
    const diff = await shop.kloop(['diff', '--env', 'staging']);
    assert.equal(diff.code, 3, diff.stderr);
    assert.equal(readFileSync(path.join(shop.app, 'hooks.log'), 'utf8'), 'checked\n');

    shop.write('kloop.yaml', `${original}\nhooks:\n  beforeRender: ["echo not ready >&2; exit 5"]\n`);
    shop.commit('a failing render check');
    const refused = await shop.kloop(['promote', '--env', 'staging']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /hook beforeRender failed: .* exited with code 5/);
    assert.match(refused.stderr, /not ready/);
    assert.equal(shop.revParse(BRANCH), undefined, 'nothing was pushed');
  });
});
