// promote --from, a branch that moves during the push, and an interrupted promote.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GlobalOptions } from '../../../src/cli/options.ts';
import { loadProject } from '../../../src/config/load.ts';
import { configureLogger } from '../../../src/log/logger.ts';
import { promote } from '../../../src/gitops/promote.ts';
import { git, makeShop, repoRoot, type Shop } from './shop.ts';

const DIGEST = `sha256:${'4f'.repeat(32)}`;

function globals(cwd: string, env: string): GlobalOptions {
  return { cwd, env, vars: {}, output: 'text', debug: false, color: false };
}

describe('promote --from', () => {
  let shop: Shop;
  before(() => {
    shop = makeShop();
  });
  after(() => shop.cleanup());

  it("renders the other environment's source commit and images with this environment's values", async () => {
    const pinned = `registry.example.com/shop/web:1.2.3@${DIGEST}`;
    const staged = await shop.kloop(['promote', '--env', 'staging', '--image', `web=${pinned}`]);
    assert.equal(staged.code, 0, staged.stderr);
    git(shop.fleet, 'update-ref', 'refs/heads/main', 'refs/heads/kloop/shop/staging');
    const stagingSha = git(shop.app, 'rev-parse', 'HEAD').trim();
    const stagingMeta = JSON.parse(shop.show('main', 'clusters/staging/.kloop/shop/hydrator.metadata')!);
    assert.deepEqual(stagingMeta.kloop.images.web, { ref: pinned, tag: '1.2.3', digest: DIGEST });

    // development goes on: production must not get this commit
    shop.write('deploy/cache/configmap.yaml', shop.read('deploy/cache/configmap.yaml').replace('64m', '128m'));
    shop.commit('cache: 128m');

    const r = await shop.kloop(['promote', '--env', 'production', '--from', 'staging']);
    assert.equal(r.code, 0, r.stderr);
    const branch = 'kloop/shop/production';
    const web = shop.show(branch, 'clusters/production/web.yaml')!;
    assert.match(web, new RegExp(`image: registry\\.example\\.com/shop/web:1\\.2\\.3@${DIGEST}\\n`));
    assert.match(web, /replicas: 3\n/);
    assert.match(web, /value: hello production\n/);
    assert.match(shop.show(branch, 'clusters/production/cache.yaml')!, /size: 64m/, 'the source commit staging runs');
    const meta = JSON.parse(shop.show(branch, 'clusters/production/.kloop/shop/hydrator.metadata')!);
    assert.equal(meta.drySha, stagingSha);
    assert.equal(meta.kloop.from, 'staging');
    assert.equal(meta.kloop.environment, 'production');
    assert.equal(meta.kloop.images.web.digest, DIGEST);
    assert.match(git(shop.fleet, 'log', '-1', '--format=%B', branch), /^Kloop-Promoted-From: staging$/m);
    assert.equal(git(shop.app, 'worktree', 'list').trim().split('\n').length, 1, 'the worktree is removed');
  });

  it('says so when the other environment was never promoted', async () => {
    const r = await shop.kloop(['promote', '--env', 'staging', '--from', 'production']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /holds no kloop promotion of shop to production/);
  });
});

describe('pushing', () => {
  let shop: Shop;
  let logged = '';
  before(() => {
    shop = makeShop();
    const stream = {
      write(s: string) {
        logged += s;
        return true;
      },
    };
    configureLogger({ color: false, stream: stream as unknown as NodeJS.WritableStream });
  });
  after(() => shop.cleanup());
  const refs = () => git(shop.fleet, 'for-each-ref', '--format=%(refname) %(objectname)');

  it('an interrupted promote leaves the GitOps repository unchanged', async () => {
    const before = refs();
    const project = await loadProject(globals(shop.app, 'staging'));
    await assert.rejects(
      promote(project, {
        mode: 'promote',
        env: {},
        beforePush: async () => {
          throw new Error('interrupted');
        },
      }),
      /interrupted/,
    );
    assert.equal(refs(), before);
  });

  it('Ctrl-C during a promote leaves no temporary clone and the repository unchanged', async () => {
    const before = refs();
    const tmp = path.join(shop.dir, 'tmp');
    mkdirSync(tmp);
    // like a terminal's Ctrl-C: SIGINT to the whole process group (kloop and its git)
    const child = spawn(process.execPath, [path.join(repoRoot, 'src/cli/bin.ts'), 'promote', '--env', 'staging'], {
      cwd: shop.app,
      env: { ...process.env, TMPDIR: tmp, CI: 'true' },
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const closed = new Promise<number | null>((resolve) =>
      child.on('close', (code, signal) => resolve(signal ? -1 : code)),
    );
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/cloning/.test(stderr) && child.pid) process.kill(-child.pid, 'SIGINT');
    });
    const code = await closed;
    assert.notEqual(code, 0, `interrupted: ${stderr}`);
    // Node's compile cache is kept on purpose (it makes the next start faster); nothing else may stay
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n !== 'kloop-compile-cache'),
      [],
      'temporary clones removed',
    );
    assert.equal(refs(), before);
  });

  it('a branch that moved during the promote is retried once from a fresh clone', async () => {
    const project = await loadProject(globals(shop.app, 'staging'));
    const attempts: number[] = [];
    const result = await promote(project, {
      mode: 'promote',
      env: {},
      beforePush: async (attempt) => {
        attempts.push(attempt);
        // another run pushes the branch first
        if (attempt === 0) git(shop.fleet, 'update-ref', 'refs/heads/kloop/shop/staging', 'refs/heads/main');
      },
    });
    assert.deepEqual(attempts, [0, 1]);
    assert.match(logged, /branch kloop\/shop\/staging moved while promoting; cloning again and retrying once/);
    assert.equal(result.pushed, true);
    assert.equal(shop.revParse('kloop/shop/staging'), result.commit);
    assert.ok(shop.files('kloop/shop/staging').includes('clusters/staging/web.yaml'));
  });

  it('gives up with a clear error when it keeps moving', async () => {
    shop.write('deploy/web/service.yaml', shop.read('deploy/web/service.yaml').replace('port: 80', 'port: 81'));
    shop.commit('port 81');
    const project = await loadProject(globals(shop.app, 'staging'));
    let n = 0;
    await assert.rejects(
      promote(project, {
        mode: 'promote',
        env: {},
        beforePush: async () => {
          // every attempt, another run pushes a commit of its own first
          const other = git(
            shop.fleet,
            '-c',
            'user.name=x',
            '-c',
            'user.email=x@x',
            'commit-tree',
            'main^{tree}',
            '-p',
            'main',
            '-m',
            `other run ${n++}`,
          ).trim();
          git(shop.fleet, 'update-ref', 'refs/heads/kloop/shop/staging', other);
        },
      }),
      /keeps moving .* nothing was pushed/,
    );
  });
});
