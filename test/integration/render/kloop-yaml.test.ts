// Render from a real kloop.yaml, loaded the way every command loads it: the shop against the
// reference pipeline with images wired from `images:` (no --image pins), and a chart whose output
// depends on .Capabilities.KubeVersion rendered for environments with different kubeVersion
// settings, each compared with `helm template --kube-version` of that version.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import type { GlobalOptions } from '../../../src/cli/options.ts';
import { loadProject } from '../../../src/config/load.ts';
import { render } from '../../../src/render/index.ts';
import type { KubeObject, RenderResult } from '../../../src/render/types.ts';
import { FIXTURE, variables } from './fixture.ts';

const VERSIONS = path.resolve(import.meta.dirname, '../../fixtures/render/versions');
const PIPELINE = path.join(import.meta.dirname, 'reference-pipeline.sh');
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'CustomResourceDefinition', 'Tenant']);

const copies: string[] = [];
after(() => {
  for (const c of copies) rmSync(c, { recursive: true, force: true });
});

function copy(from: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kloop-render-config-'));
  cpSync(from, dir, { recursive: true });
  copies.push(dir);
  return dir;
}

/** The project exactly as `kloop render --env <env>` loads it from kloop.yaml (no kubeconfig). */
function load(root: string, env?: string) {
  const globals: GlobalOptions = { cwd: root, vars: {}, output: 'text', debug: false, color: false, env };
  return loadProject(globals, { env: {}, kubeconfig: { files: [], contexts: [], clusters: [], users: [] } });
}

function docs(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

const key = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const sorted = (objects: KubeObject[]) =>
  objects.map((o): [string, KubeObject] => [key(o), o]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const objectsOf = (r: RenderResult) => r.apps.flatMap((a) => a.objects);

interface Container {
  name: string;
  image: string;
}
/** every container and init container of the pod templates in `objects` */
function containers(objects: KubeObject[]): Container[] {
  const out: Container[] = [];
  type PodSpec = Record<string, Container[] | undefined>;
  type Spec = { template?: { spec?: PodSpec }; jobTemplate?: { spec?: Spec } } & PodSpec;
  for (const o of objects) {
    const spec = o.spec as Spec | undefined;
    const pods = [o.kind === 'Pod' ? spec : undefined, spec?.template?.spec, spec?.jobTemplate?.spec?.template?.spec];
    for (const pod of pods) for (const field of ['initContainers', 'containers']) out.push(...(pod?.[field] ?? []));
  }
  return out;
}

/** repository of an image reference (a ':' after the last '/' starts the tag) */
function repositoryOf(ref: string): string {
  const noDigest = ref.split('@')[0]!;
  const colon = noDigest.lastIndexOf(':');
  return colon > noDigest.lastIndexOf('/') ? noDigest.slice(0, colon) : noDigest;
}

/** images: of a kloop.yaml as the file says, read with the yaml library (not kloop's loader) */
function declaredImages(root: string): Record<string, string> {
  const config = parse(readFileSync(path.join(root, 'kloop.yaml'), 'utf8')) as {
    images: Record<string, { image: string }>;
  };
  return Object.fromEntries(Object.entries(config.images).map(([name, i]) => [name, i.image]));
}

/**
 * The tag kloop wired for each images: entry: every container of that repository carries the same
 * `<repository>:<16 hex>` reference, whatever the manifests said.
 */
function wiredTags(objects: KubeObject[], images: Record<string, string>): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const c of containers(objects)) {
    const name = Object.keys(images).find((n) => images[n] === repositoryOf(c.image));
    if (!name) continue;
    const m = new RegExp(`^${images[name]!.replace(/[.]/g, '\\.')}:([0-9a-f]{16})$`).exec(c.image);
    assert.ok(m, `container ${c.name} runs ${c.image}: the images: entry ${name} with a computed tag`);
    if (tags[name]) assert.equal(m[1], tags[name], `one tag for image ${name}`);
    tags[name] = m[1]!;
  }
  return tags;
}

describe('render from the shop kloop.yaml equals the reference pipeline, images wired from images:', () => {
  for (const env of [undefined, 'production']) {
    test(`environment ${env ?? '(local defaults)'}`, async () => {
      const root = copy(FIXTURE);
      const result = await render(await load(root, env), { cache: false });
      const images = declaredImages(root);
      const tags = wiredTags(objectsOf(result), images);
      assert.deepEqual(Object.keys(tags).sort(), ['api', 'web'], 'both images are used and wired');

      const vars = variables(FIXTURE, env);
      const out = execFileSync('bash', [PIPELINE, root], { env: { ...process.env, ...vars }, encoding: 'utf8' });
      const theirs = docs(out);
      for (const o of theirs)
        if (!CLUSTER_SCOPED.has(o.kind) && !o.metadata.namespace) o.metadata.namespace = vars.NAMESPACE;
      // the reference pipeline with the wiring done by hand: every container of a declared
      // repository gets <repository>:<tag>
      let replaced = 0;
      for (const c of containers(theirs)) {
        const name = Object.keys(images).find((n) => images[n] === repositoryOf(c.image));
        if (name) {
          c.image = `${images[name]}:${tags[name]}`;
          replaced++;
        }
      }
      assert.ok(replaced >= 2, `${replaced} containers of declared images in the reference`);
      assert.deepEqual(sorted(objectsOf(result)), sorted(theirs));
      const rewrites = result.apps.flatMap((a) => a.imageRewrites);
      assert.equal(rewrites.length, replaced, 'every rewrite is reported');
    });
  }

  test('an image tag follows its own build context only', async () => {
    const root = copy(FIXTURE);
    const images = declaredImages(root);
    const tagsNow = async () =>
      wiredTags(objectsOf(await render(await load(root, 'staging'), { cache: false })), images);
    const first = await tagsNow();
    appendFileSync(path.join(root, 'deploy/web/values.yaml'), '\n# a comment outside every build context\n');
    assert.deepEqual(await tagsNow(), first, 'a change outside the build contexts keeps both tags');
    appendFileSync(path.join(root, 'src/web/index.html'), '<p>changed</p>\n');
    const second = await tagsNow();
    assert.notEqual(second.web, first.web, 'an edit in src/web gives web a new tag');
    assert.equal(second.api, first.api, 'api keeps its tag');
  });

  test('--image pins win over the computed tag', async () => {
    const root = copy(FIXTURE);
    const pin = 'registry.example.com/shop/web:1.2.3';
    const result = await render(await load(root, 'staging'), { cache: false, images: { web: pin } });
    const web = containers(objectsOf(result)).filter((c) => repositoryOf(c.image) === 'registry.example.com/shop/web');
    assert.ok(web.length > 0);
    for (const c of web) assert.equal(c.image, pin);
  });
});

describe('a chart that depends on .Capabilities.KubeVersion, per environment kubeVersion', () => {
  /** `helm template` of the fixture chart for one Kubernetes version, namespaced as kloop places it */
  function helmTemplate(root: string, kubeVersion: string): KubeObject[] {
    const out = execFileSync(
      'helm',
      ['template', 'web', path.join(root, 'deploy/chart'), '--namespace', 'versions', '--kube-version', kubeVersion],
      { encoding: 'utf8' },
    );
    const objects = docs(out);
    for (const o of objects) o.metadata.namespace ??= 'versions';
    return objects;
  }

  test('each environment renders what helm renders for its version, and they differ', async () => {
    const root = copy(VERSIONS);
    const config = parse(readFileSync(path.join(root, 'kloop.yaml'), 'utf8')) as {
      environments: Record<string, { kubeVersion: string }>;
    };
    const images = declaredImages(root);
    const rendered: Record<string, KubeObject[]> = {};
    for (const env of ['legacy', 'current']) {
      const version = config.environments[env]!.kubeVersion;
      const result = await render(await load(root, env), { cache: false });
      assert.equal(result.metadata.kloop.kubeVersion, version, `${env}: the metadata names the version`);
      const ours = objectsOf(result);
      const tags = wiredTags(ours, images);
      const theirs = helmTemplate(root, version);
      for (const c of containers(theirs))
        if (repositoryOf(c.image) === images.web) c.image = `${images.web}:${tags.web}`;
      assert.deepEqual(sorted(ours), sorted(theirs), `${env}: helm template --kube-version ${version}`);
      rendered[env] = ours;
    }
    const data = (objects: KubeObject[]) => objects.find((o) => o.kind === 'ConfigMap')!.data;
    assert.deepEqual(data(rendered.legacy!), { kubeVersion: 'v1.27.16', minor: '27' });
    assert.deepEqual(data(rendered.current!), { kubeVersion: 'v1.31.4', minor: '31' });
    const names = (objects: KubeObject[], field: string) =>
      containers(objects.filter((o) => o.kind === 'Deployment' && field === 'all')).map((c) => c.name);
    assert.deepEqual(names(rendered.legacy!, 'all'), ['web', 'log-shipper'], '1.27: the shipper is a container');
    assert.deepEqual(names(rendered.current!, 'all'), ['log-shipper', 'web'], '1.31: a native sidecar first');
  });

  test("an environment below the chart's kubeVersion constraint is one clear error", async () => {
    const root = copy(VERSIONS);
    await assert.rejects(render(await load(root, 'ancient'), { cache: false }), (error: Error) => {
      assert.match(error.message, /1\.24\.17/);
      assert.match(error.message, />=1\.25\.0-0/);
      return true;
    });
  });
});
