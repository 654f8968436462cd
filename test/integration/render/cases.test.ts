// Render cases from the patterns public charts and overlays use (test/fixtures/render/cases/*):
// each one is rendered by kloop and by its reference pipeline (the case's reference.sh: helm
// template / kubectl kustomize --enable-helm / cat, as a CI script without kloop would run them),
// and both are read back by real kubectl, the cluster's own YAML reader. kloop's in-memory objects
// must equal what kubectl reads from kloop's output and from the reference output; every render
// is done twice and must give identical bytes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { GlobalOptions } from '../../../src/cli/options.ts';
import { loadProject } from '../../../src/config/load.ts';
import { KloopError } from '../../../src/errors.ts';
import { render } from '../../../src/render/index.ts';
import type { KubeObject } from '../../../src/render/types.ts';

const CASES = path.resolve(import.meta.dirname, '../../fixtures/render/cases');

interface CaseSpec {
  /** environments rendered (undefined: no --env); reference.sh sees each as $KLOOP_ENV */
  envs?: Array<string | null>;
}

/** What kubectl reads from a YAML stream: sigs.k8s.io/yaml, offline (--local needs no server). */
export function kubectlRead(yaml: string): KubeObject[] {
  if (!yaml.trim()) return [];
  const out = execFileSync('kubectl', ['annotate', '--local', '-f', '-', '-o', 'json', 'kloop.dev/oracle=1'], {
    input: yaml,
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: '/dev/null' },
    maxBuffer: 64 * 1024 * 1024,
  });
  // one JSON object per input object, concatenated
  const objects = out
    .split(/\n(?=\{\n)/)
    .filter((s) => s.trim())
    .map((s) => JSON.parse(s) as KubeObject);
  const flat = objects.flatMap((o) => (o.kind === 'List' ? ((o as { items?: KubeObject[] }).items ?? []) : [o]));
  for (const o of flat) {
    const a = o.metadata.annotations as Record<string, string>;
    delete a['kloop.dev/oracle'];
    if (Object.keys(a).length === 0) delete o.metadata.annotations;
  }
  return flat;
}

/** JSON's view of an object (what the API server receives), namespace aside. */
function plain(o: KubeObject): KubeObject {
  const copy = JSON.parse(JSON.stringify(o)) as KubeObject;
  delete copy.metadata.namespace;
  return copy;
}

function key(o: KubeObject): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata.name}`;
}

function sorted(objects: KubeObject[]): Array<[string, KubeObject]> {
  return objects.map((o): [string, KubeObject] => [key(o), plain(o)]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const copies: string[] = [];
after(() => {
  for (const c of copies) rmSync(c, { recursive: true, force: true });
});

function copyCase(name: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `kloop-case-${name}-`));
  cpSync(path.join(CASES, name), dir, { recursive: true });
  copies.push(dir);
  return dir;
}

function reference(dir: string, env: string | null): string {
  return execFileSync('bash', ['-euo', 'pipefail', path.join(dir, 'reference.sh')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, KLOOP_ENV: env ?? '' },
    maxBuffer: 64 * 1024 * 1024,
  });
}

const names = readdirSync(CASES).filter((n) => existsSync(path.join(CASES, n, 'kloop.yaml')));

describe('render cases: kloop = reference pipeline, as kubectl reads them', () => {
  test('there are cases', () => assert.ok(names.length >= 10, names.join(', ')));
  for (const name of names) {
    const specFile = path.join(CASES, name, 'case.json');
    const spec: CaseSpec = existsSync(specFile) ? JSON.parse(readFileSync(specFile, 'utf8')) : {};
    for (const env of spec.envs ?? [null]) {
      test(`${name}${env ? ` (--env ${env})` : ''}`, async () => {
        const dir = copyCase(name);
        const globals: GlobalOptions = {
          cwd: dir,
          vars: {},
          output: 'text',
          env: env ?? undefined,
          debug: false,
          color: false,
        };
        const project = await loadProject(globals);
        const first = await render(project, { cache: false });
        const second = await render(await loadProject(globals), { cache: false });
        const bytes = (r: typeof first) => r.apps.map((a) => a.yaml).join('---\n');
        assert.equal(bytes(second), bytes(first), 'two renders of the same inputs give the same bytes');

        const ours = first.apps.flatMap((a) => a.objects);
        assert.ok(ours.length > 0, 'the case renders objects');
        const fromOurYaml = kubectlRead(bytes(first));
        assert.deepEqual(sorted(fromOurYaml), sorted(ours), "kubectl reads kloop's output as kloop's objects");
        const fromReference = kubectlRead(reference(dir, env));
        assert.deepEqual(sorted(ours), sorted(fromReference), 'the same objects as the reference pipeline');
      });
    }
  }
});

test('a values.schema.json violation names the chart and the field', async () => {
  const dir = copyCase('subchart-globals');
  writeFileSync(
    path.join(dir, 'chart/values.schema.json'),
    JSON.stringify({
      type: 'object',
      properties: { global: { type: 'object', properties: { registry: { type: 'string', minLength: 3 } } } },
    }),
  );
  writeFileSync(path.join(dir, 'values-shop.yaml'), 'global:\n  registry: ab\n');
  const project = await loadProject({ cwd: dir, vars: {} });
  await assert.rejects(render(project, { cache: false }), (e: unknown) => {
    assert.ok(e instanceof KloopError, String(e));
    assert.match(
      e.message,
      /^helm failed for app shop: values don't meet the specifications .* umbrella: - global\.registry: String length must be greater than or equal to 3/,
    );
    assert.equal(e.location?.file, 'chart');
    return true;
  });
});
