// Dependency projects resolved with the project: path dependencies load (and fail) at load time,
// circles are named, git dependencies are fetched only when asked for and then once per run.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dependencyProject } from '../../../src/config/dependencies.ts';
import { loadProject } from '../../../src/config/load.ts';
import type { ConfigError } from '../../../src/config/problems.ts';
import { tempTree, writeTree } from '../../helpers/fixtures.ts';

const tree = (files: Record<string, string>) => tempTree(files, 'kloop-deps-');

const options = (dir: string) => ({
  env: { PATH: process.env.PATH, HOME: dir, REPO: join(dir, 'repo') },
  kubeconfig: { files: [], contexts: {}, clusters: {}, users: {} } as never,
});
const load = (dir: string, sub: string, env?: string) =>
  loadProject({ cwd: join(dir, sub), vars: {}, ...(env ? { env } : {}) }, options(dir));

describe('dependency projects', () => {
  it('a path dependency is loaded with the project, with the same input', async () => {
    const dir = tree({
      'shop/kloop.yaml': 'version: v1\nname: shop\ndependencies:\n  auth: { path: ../auth }\n',
      'auth/kloop.yaml': 'version: v1\nname: auth\nvars:\n  MODE: { default: local }\n',
    });
    const shop = await loadProject({ cwd: join(dir, 'shop'), vars: { MODE: 'flag' }, namespace: 'team' }, options(dir));
    const auth = await dependencyProject(shop, 'auth');
    assert.equal(auth.name, 'auth');
    assert.equal(auth.root, join(dir, 'auth'));
    assert.equal(auth.vars.own.get('MODE')?.value, 'flag');
    assert.equal(auth.cluster.namespace, 'team');
    assert.equal(await dependencyProject(shop, 'auth'), auth, 'resolved once');
    assert.equal(await dependencyProject({ ...shop, kubeVersion: '1.31' }, 'auth'), auth, 'a copy of the project too');
  });

  it('a broken path dependency fails the load of the project, naming its file and line', async () => {
    const dir = tree({
      'shop/kloop.yaml': 'version: v1\nname: shop\ndependencies:\n  auth: { path: ../auth }\n',
      'auth/kloop.yaml': 'version: v1\nname: auth\napps:\n  web: { manifest: [x.yaml] }\n',
    });
    await assert.rejects(load(dir, 'shop'), (e: ConfigError) => {
      assert.match(e.message, /^dependency auth of shop: /);
      assert.equal(e.file, join(dir, 'auth/kloop.yaml'));
      assert.ok(
        e.problems.some((p) => p.path.join('.') === 'apps.web.manifest' && p.line === 4),
        JSON.stringify(e.problems),
      );
      return true;
    });
  });

  it('a circle of dependencies is named', async () => {
    const dir = tree({
      'a/kloop.yaml': 'version: v1\nname: a\ndependencies:\n  b: { path: ../b }\n',
      'b/kloop.yaml': 'version: v1\nname: b\ndependencies:\n  a: { path: ../a }\n',
    });
    await assert.rejects(load(dir, 'a'), /dependencies form a circle: a → b → a/);
  });

  it('a git dependency is not fetched at load; asked for, it is fetched once', async () => {
    const dir = tree({
      'shop/kloop.yaml':
        'version: v1\nname: shop\ndependencies:\n  pay: { git: "file://${REPO}", ref: main, subPath: svc }\n  gone: { git: "file:///nonexistent/repo.git" }\n',
      'repo/svc/kloop.yaml': 'version: v1\nname: pay\n',
    });
    const repo = join(dir, 'repo');
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { stdio: 'pipe' });
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'pay');
    const shop = await load(dir, 'shop'); // the unreachable `gone` does not fail it
    const pay = await dependencyProject(shop, 'pay');
    assert.equal(pay.name, 'pay');
    rmSync(repo, { recursive: true, force: true });
    assert.equal(await dependencyProject(shop, 'pay'), pay, 'not fetched again');
    await assert.rejects(
      dependencyProject(shop, 'gone'),
      /dependency gone: cannot fetch file:\/\/\/nonexistent\/repo\.git/,
    );
  });

  it('a git dependency pinned to a commit the cache holds is not fetched again in the next run', async () => {
    const dir = tree({ 'repo/kloop.yaml': 'version: v1\nname: pinned\n' });
    const repo = join(dir, 'repo');
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'pinned');
    const sha = git('rev-parse', 'HEAD');
    const files = (ref: string) => ({
      'kloop.yaml': `version: v1\nname: shop\ndependencies:\n  pay: { git: "file://\${REPO}", ref: ${ref} }\n`,
    });
    writeTree(join(dir, 'pinned'), files(sha));
    writeTree(join(dir, 'branch'), files('main'));
    assert.equal((await dependencyProject(await load(dir, 'pinned'), 'pay')).name, 'pinned');
    // a checkout changed by hand is not the commit: checked out again
    const cache = join(dir, '.cache/kloop/deps');
    const copy = join(cache, readdirSync(cache)[0]!, 'kloop.yaml');
    writeFileSync(copy, 'version: v1\nname: edited\n');
    assert.equal((await dependencyProject(await load(dir, 'pinned'), 'pay')).name, 'pinned');
    rmSync(repo, { recursive: true, force: true });
    // a new run: the commit is in the cache, nothing to fetch
    assert.equal((await dependencyProject(await load(dir, 'pinned'), 'pay')).name, 'pinned');
    // a branch may have moved: it is fetched, and the repository is gone
    await assert.rejects(dependencyProject(await load(dir, 'branch'), 'pay'), /cannot fetch/);
  });

  it('with --env, a dependency without that environment fails only when a command asks for it', async () => {
    const dir = tree({
      'shop/kloop.yaml':
        'version: v1\nname: shop\ndependencies:\n  db: { path: ../db }\nenvironments:\n  prod: { namespace: prod }\n',
      'db/kloop.yaml': 'version: v1\nname: db\n',
    });
    const shop = await load(dir, 'shop', 'prod');
    assert.equal(shop.environment?.name, 'prod');
    await assert.rejects(
      dependencyProject(shop, 'db'),
      /^KloopError: dependency db of shop: unknown environment "prod"/,
    );
  });
});
