// The validated-config cache (src/config/config-cache.ts): a warm load serves the cached config,
// and every input the config depends on invalidates it: kloop.yaml, the env file, the process
// environment of a referenced variable, --var, --env, and a referenced directory that went away.
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { GlobalOptions } from '../../../src/cli/options.ts';
import type { Kubeconfig } from '../../../src/config/kubeconfig.ts';
import { loadProject } from '../../../src/config/load.ts';
import { ConfigError } from '../../../src/config/problems.ts';
import { tempTree } from '../../helpers/fixtures.ts';

const project = (files: Record<string, string>) => tempTree(files, 'kloop-config-cache-');

const kube: Kubeconfig = {
  files: [],
  currentContext: 'c',
  contexts: [{ name: 'c', namespace: 'ctx-ns' }],
  clusters: [],
  users: [],
};

const g = (cwd: string, extra: Partial<GlobalOptions> = {}): GlobalOptions => ({
  cwd,
  vars: {},
  output: 'text',
  debug: false,
  color: false,
  ...extra,
});

const yaml = (ns: string) => `version: v1
name: shop
vars:
  TAG: { default: "one" }
apps:
  web:
    namespace: ${ns}
    helm: { chart: chart, set: { tag: "\${TAG}", home: "\${SHOP_HOME:-none}" } }
environments:
  staging: { envFile: staging.env }
`;

const files = {
  'kloop.yaml': yaml('web-ns'),
  'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  '.env': 'TAG=from-env-file\n',
  'staging.env': 'TAG=staging\n',
};

const load = (dir: string, extra: Partial<GlobalOptions> = {}, env: Record<string, string> = {}) =>
  loadProject(g(dir, extra), { env, kubeconfig: kube });

const entries = (dir: string) => readdirSync(join(dir, '.kloop/config-cache')).filter((n) => n.endsWith('.json'));

describe('config cache', () => {
  it('serves a warm load from the cache, equal to the full load', async () => {
    const dir = project(files);
    const cold = await load(dir);
    assert.equal(entries(dir).length, 1, 'the full load wrote an entry');
    const warm = await load(dir);
    assert.deepEqual(JSON.parse(JSON.stringify(warm)), JSON.parse(JSON.stringify(cold)));
    assert.equal(warm.vars.own.get('TAG')?.value, 'from-env-file');
    assert.equal(warm.vars.own.get('TAG')?.source, 'envFile');

    // the hit really is the cache: an entry changed behind kloop's back is what a warm load returns
    const file = join(dir, '.kloop/config-cache', entries(dir)[0]!);
    writeFileSync(file, readFileSync(file, 'utf8').replace('"web-ns"', '"planted-ns"'));
    assert.equal((await load(dir)).apps.web?.namespace, 'planted-ns');
  });

  for (const example of ['examples', 'test/fixtures/render/shop', 'test/fixtures/gitops/shop']) {
    it(`loads ${example}/kloop.yaml from the cache exactly as in full`, async () => {
      const dir = project({});
      cpSync(join(import.meta.dirname, '../../..', example), dir, { recursive: true });
      rmSync(join(dir, '.kloop'), { recursive: true, force: true });
      const cold = await load(dir, {}, { HOME: '/home/me' });
      assert.equal(entries(dir).length, 1);
      const entry = join(dir, '.kloop/config-cache', entries(dir)[0]!);
      const written = statSync(entry, { bigint: true }).mtimeNs;
      assert.deepStrictEqual(await load(dir, {}, { HOME: '/home/me' }), cold);
      assert.equal(statSync(entry, { bigint: true }).mtimeNs, written, 'a hit: the entry was not written again');
    });
  }

  it('sees an edit to kloop.yaml', async () => {
    const dir = project(files);
    assert.equal((await load(dir)).apps.web?.namespace, 'web-ns');
    writeFileSync(join(dir, 'kloop.yaml'), yaml('edited-ns'));
    assert.equal((await load(dir)).apps.web?.namespace, 'edited-ns');
  });

  it('sees an edit to the env file, and an env file that appears or goes away', async () => {
    const dir = project(files);
    assert.deepEqual((await load(dir)).apps.web?.helm?.set, { tag: 'from-env-file', home: 'none' });
    writeFileSync(join(dir, '.env'), 'TAG=edited\n');
    assert.deepEqual((await load(dir)).apps.web?.helm?.set, { tag: 'edited', home: 'none' });
    rmSync(join(dir, '.env'));
    assert.deepEqual((await load(dir)).apps.web?.helm?.set, { tag: 'one', home: 'none' });
    writeFileSync(join(dir, '.env'), 'TAG=back\n');
    assert.deepEqual((await load(dir)).apps.web?.helm?.set, { tag: 'back', home: 'none' });
  });

  it('sees the process environment of a declared or referenced variable, --var and --env', async () => {
    const dir = project(files);
    assert.deepEqual((await load(dir)).apps.web?.helm?.set, { tag: 'from-env-file', home: 'none' });
    assert.deepEqual((await load(dir, {}, { TAG: 'process' })).apps.web?.helm?.set, { tag: 'process', home: 'none' });
    assert.deepEqual((await load(dir, {}, { SHOP_HOME: '/srv' })).apps.web?.helm?.set, {
      tag: 'from-env-file',
      home: '/srv',
    });
    assert.deepEqual((await load(dir, { vars: { TAG: 'flag' } })).apps.web?.helm?.set, { tag: 'flag', home: 'none' });
    assert.deepEqual((await load(dir, { env: 'staging' })).apps.web?.helm?.set, { tag: 'staging', home: 'none' });
    writeFileSync(join(dir, 'staging.env'), 'TAG=staging-edited\n');
    assert.deepEqual((await load(dir, { env: 'staging' })).apps.web?.helm?.set, {
      tag: 'staging-edited',
      home: 'none',
    });
    // and back to the first inputs: the first entry again
    assert.deepEqual((await load(dir)).apps.web?.helm?.set, { tag: 'from-env-file', home: 'none' });
  });

  it('reports a referenced directory that went away, as a full load does', async () => {
    const dir = project(files);
    await load(dir);
    rmSync(join(dir, 'chart'), { recursive: true });
    await assert.rejects(load(dir), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /apps\.web\.helm\.chart: chart directory "chart" does not exist/);
      assert.equal(e.problems[0]?.line, 8, 'with its position in kloop.yaml');
      return true;
    });
  });

  it('never writes the value of a secret variable into the cache', async () => {
    const dir = project({
      ...files,
      'kloop.yaml': `version: v1\nname: shop\nvars:\n  TOKEN: { secret: true }\napps:\n  web:\n    helm: { chart: chart, set: { token: "\${TOKEN}" } }\n`,
    });
    const p = await load(dir, {}, { TOKEN: 's3cr3t-value' });
    assert.deepEqual(p.apps.web?.helm?.set, { token: 's3cr3t-value' });
    const cache = join(dir, '.kloop/config-cache');
    const written = existsSync(cache) ? readdirSync(cache).map((n) => readFileSync(join(cache, n), 'utf8')) : [];
    assert.ok(!written.some((text) => text.includes('s3cr3t-value')));
  });
});
