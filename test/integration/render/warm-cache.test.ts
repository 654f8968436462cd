// The warm render's stat fingerprint (src/render/fingerprint.ts): once every input is older than
// its racy window, a render with unchanged inputs takes the cached objects without globbing or
// reading; every change that matters is still seen. Real helm renders the chart.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { loadProject } from '../../../src/config/load.ts';
import { render } from '../../../src/render/index.ts';
import { tempTree } from '../../helpers/fixtures.ts';

const KLOOP_YAML = `version: v1
name: warm
vars:
  TAG: { default: "one" }
apps:
  plain:
    namespace: warm
    manifests: ["k8s/*.yaml", "deep/**/*.yaml"]
  chart:
    namespace: warm
    helm: { chart: chart, values: [values.yaml] }
`;

const FILES: Record<string, string> = {
  'kloop.yaml': KLOOP_YAML,
  'k8s/a.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\ndata: { tag: "${TAG}", home: "${WARM_HOME:-none}" }\n',
  'deep/x/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: b }\ndata: { v: "1" }\n',
  'deep/x/y/c.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\n',
  'chart/Chart.yaml': 'apiVersion: v2\nname: chart\nversion: 0.1.0\n',
  'chart/values.yaml': 'size: small\n',
  'chart/templates/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: sized }\ndata: { size: {{ .Values.size | quote }} }\n',
  'values.yaml': 'size: large\n',
};

/**
 * Everything under dir, dated a minute ago. A fingerprint is kept only when mtimes and ctimes are
 * past the racy window (2 s); ctime cannot be set, so the projects are made first (before()) and
 * the tests start once their ctimes are old enough.
 */
function age(dir: string): void {
  const past = new Date(Date.now() - 60_000);
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.parentPath.includes('.kloop') || e.name === '.kloop') continue;
    utimesSync(path.join(e.parentPath, e.name), past, past);
  }
  utimesSync(dir, past, past);
}

function makeProject(): string {
  const dir = tempTree(FILES, 'kloop-warm-');
  age(dir);
  return dir;
}

async function renderAt(dir: string, env: Record<string, string> = {}) {
  const p = await loadProject(
    { cwd: dir, vars: {} },
    { env: { PATH: process.env.PATH, ...env }, kubeconfig: { files: [], contexts: [], clusters: [], users: [] } },
  );
  const result = await render(p, { validate: false });
  const byName = new Map(result.apps.flatMap((a) => a.objects.map((o) => [o.metadata.name, o] as const)));
  return { result, byName, data: (name: string) => byName.get(name)?.data as Record<string, string> | undefined };
}

const fingerprints = (dir: string) =>
  readdirSync(path.join(dir, '.kloop/render-cache')).filter((n) => n.startsWith('fp-'));

/** A file rewritten with same-size content and its old mtime put back (only ctime tells). */
function sneakyEdit(file: string, from: string, to: string): void {
  assert.equal(from.length, to.length);
  const before = statSync(file);
  writeFileSync(file, readFileSync(file, 'utf8').replace(from, to));
  utimesSync(file, before.atime, before.mtime);
}

const made: string[] = [];
const project = () => made.shift()!;

describe('warm render fingerprint', () => {
  before(async () => {
    for (let i = 0; i < 9; i++) made.push(makeProject());
    const ready = Date.now() + 2100;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, ready - Date.now())));
  });

  it('serves unchanged inputs from the fingerprint, and only those', async () => {
    const dir = project();
    const cold = await renderAt(dir);
    assert.deepEqual(cold.data('a'), { tag: 'one', home: 'none' });
    assert.deepEqual(cold.data('sized'), { size: 'large' });
    assert.equal(fingerprints(dir).length, 2, 'one fingerprint per app');

    const warm = await renderAt(dir);
    assert.ok(warm.result.apps.every((a) => a.cached));
    assert.deepEqual(
      warm.result.apps.map((a) => a.yaml),
      cold.result.apps.map((a) => a.yaml),
    );
    assert.deepEqual(
      warm.result.apps.map((a) => a.inputs),
      cold.result.apps.map((a) => a.inputs),
    );

    // the fingerprint really serves it: a warning planted in it comes back
    for (const f of fingerprints(dir)) {
      const file = path.join(dir, '.kloop/render-cache', f);
      const entry = JSON.parse(readFileSync(file, 'utf8')) as { warnings: string[] };
      entry.warnings.push('planted');
      writeFileSync(file, JSON.stringify(entry));
    }
    assert.ok((await renderAt(dir)).result.warnings.includes('planted'));
  });

  it('sees a same-size edit with the old mtime put back (values file, manifest, chart template)', async () => {
    const dir = project();
    await renderAt(dir);
    await renderAt(dir);
    sneakyEdit(path.join(dir, 'values.yaml'), 'large', 'LARGE');
    sneakyEdit(path.join(dir, 'k8s/a.yaml'), '${TAG}', '${TAX}');
    sneakyEdit(path.join(dir, 'chart/templates/cm.yaml'), 'name: sized', 'name: sizeD');
    const r = await renderAt(dir);
    assert.deepEqual(r.data('sizeD'), { size: 'LARGE' });
    assert.deepEqual(r.data('a'), { tag: '${TAX}', home: 'none' });
  });

  const add = (dir: string, rel: string, name: string) => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\n`);
  };
  // one change each: any other change to a recorded file would hide a directory not recorded
  for (const [what, change, check] of [
    ['a file matching k8s/*.yaml', (d: string) => add(d, 'k8s/new.yaml', 'new'), 'new'],
    ['a file in a new directory under deep/**', (d: string) => add(d, 'deep/x/y/z/deeper.yaml', 'deeper'), 'deeper'],
    ['a file two directories down deep/**', (d: string) => add(d, 'deep/x/y/deeper.yaml', 'deeper'), 'deeper'],
    ['a chart template', (d: string) => add(d, 'chart/templates/more.yaml', 'more'), 'more'],
    ['a manifest removed', (d: string) => rmSync(path.join(d, 'deep/x/b.yaml')), '!b'],
  ] as const) {
    it(`sees ${what}`, async () => {
      const dir = project();
      await renderAt(dir);
      assert.ok((await renderAt(dir)).result.apps.every((a) => a.cached));
      change(dir);
      const r = await renderAt(dir);
      if (check.startsWith('!')) assert.ok(!r.byName.has(check.slice(1)), `${check.slice(1)} is gone`);
      else assert.ok(r.byName.has(check), `${check} is rendered`);
    });
  }

  it('sees the environment of a ${VAR} an input mentions, and kloop.yaml variables', async () => {
    const dir = project();
    await renderAt(dir);
    assert.deepEqual((await renderAt(dir, { WARM_HOME: '/srv' })).data('a'), { tag: 'one', home: '/srv' });
    assert.deepEqual((await renderAt(dir, { TAG: 'two' })).data('a'), { tag: 'two', home: 'none' });
    assert.deepEqual((await renderAt(dir)).data('a'), { tag: 'one', home: 'none' });
  });

  it('keeps no fingerprint while an input is fresh (a second write in the same tick would not show)', async () => {
    const dir = project();
    writeFileSync(path.join(dir, 'values.yaml'), 'size: fresh\n');
    const r = await renderAt(dir);
    assert.deepEqual(r.data('sized'), { size: 'fresh' });
    assert.deepEqual(fingerprints(dir).length, 1, 'only the app whose inputs are all old has a fingerprint');
  });
});
