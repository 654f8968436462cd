// kloop's render against the reference pipeline a CI script runs (reference-pipeline.sh): the same
// object sets for every fixture app, in every environment, with namespaces placed by the rule.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { render } from '../../../src/render/index.ts';
import type { KubeObject } from '../../../src/render/types.ts';
import { copyFixture, FIXTURE, makeProject, variables } from './fixture.ts';

const PIPELINE = path.join(import.meta.dirname, 'reference-pipeline.sh');
// The images the templates already name, pinned, so wiring changes nothing the pipeline would not.
const PINNED = { web: 'registry.example.com/shop/web:latest', api: 'registry.example.com/shop/api:from-kustomize' };
// Written here, not taken from kloop: the objects that must never get a namespace.
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'CustomResourceDefinition', 'Tenant']);

function reference(env: string | undefined): KubeObject[] {
  const vars = variables(FIXTURE, env);
  const out = execFileSync('bash', [PIPELINE, FIXTURE], { env: { ...process.env, ...vars }, encoding: 'utf8' });
  const objects = parseAllDocuments(out)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
  for (const o of objects)
    if (!CLUSTER_SCOPED.has(o.kind) && !o.metadata.namespace) o.metadata.namespace = vars.NAMESPACE;
  return objects;
}

function key(o: KubeObject): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function bySortedKey(objects: KubeObject[]): Array<[string, unknown]> {
  return objects.map((o): [string, unknown] => [key(o), o]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function treeHash(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name === '.kloop') continue;
      const p = path.join(d, name);
      const st = statSync(p);
      hash.update(`${path.relative(dir, p)}\0${st.mode}\0`);
      if (st.isDirectory()) walk(p);
      else hash.update(readFileSync(p));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

const copies: string[] = [];
after(() => {
  for (const c of copies) rmSync(c, { recursive: true, force: true });
});

describe('render equals the reference pipeline', () => {
  for (const env of [undefined, 'staging', 'production']) {
    test(`environment ${env ?? '(local defaults)'}`, async () => {
      const root = copyFixture();
      copies.push(root);
      const before = treeHash(root);
      const result = await render(makeProject(root, { env }), { images: PINNED, cache: false });
      assert.equal(treeHash(root), before, 'the source tree is byte-for-byte unchanged');

      const ours = result.apps.flatMap((a) => a.objects);
      const theirs = reference(env);
      assert.deepEqual(
        ours.map(key).sort(),
        theirs.map(key).sort(),
        'the same objects (kind/namespace/name, hash suffixes included)',
      );
      assert.deepEqual(bySortedKey(ours), bySortedKey(theirs), 'the same object contents');
      for (const a of result.apps) assert.deepEqual(a.imageRewrites, [], `${a.name}: pinned images change nothing`);

      // spot checks that the fixture exercises what it claims to
      const vars = variables(FIXTURE, env);
      const jobs = result.apps.find((a) => a.name === 'jobs')!;
      assert.match(jobs.yaml, /cd "\$HOME"/, '$HOME in an embedded script survives');
      assert.match(jobs.yaml, new RegExp(`backing up \\$f for ${vars.TITLE!.replace(/[()]/g, '\\$&')}`));
      const api = result.apps.find((a) => a.name === 'api')!;
      assert.ok(
        api.objects.some((o) => /^api-settings-[a-z0-9]{10}$/.test(o.metadata.name!)),
        'generator hash suffix',
      );
      const web = result.apps.find((a) => a.name === 'web')!;
      const deployment = web.objects.find((o) => o.kind === 'Deployment')!;
      assert.equal((deployment.spec as { replicas: number }).replicas, Number(vars.REPLICAS));
      const platform = result.apps.find((a) => a.name === 'platform')!;
      assert.equal(platform.objects.find((o) => o.kind === 'Tenant')!.metadata.namespace, undefined);
      assert.equal(platform.objects.find((o) => o.kind === 'Widget')!.metadata.namespace, vars.NAMESPACE);
    });
  }

  test('environments differ only where their values do', async () => {
    const root = copyFixture();
    copies.push(root);
    const staging = await render(makeProject(root, { env: 'staging' }), { images: PINNED, cache: false });
    const production = await render(makeProject(root, { env: 'production' }), { images: PINNED, cache: false });
    assert.notEqual(staging.apps[0]!.yaml, production.apps[0]!.yaml);
    assert.ok(staging.apps.every((a) => a.namespace === 'shop-staging'));
    assert.ok(production.apps.every((a) => a.namespace === 'shop-prod'));
    assert.equal(staging.metadata.kloop.environment, 'staging');
  });
});
