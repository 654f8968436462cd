// The one pipeline's order, as the hooks a user writes see it: beforeRender → render → afterRender
// → beforeDeploy → apply → afterDeploy, and nothing after a failed apply.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadProject } from '../../../src/config/load.ts';
import { buildRenderApply } from '../../../src/pipeline/pipeline.ts';
import { writeTree } from '../../helpers/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'kloop-pipeline-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const hook = (name: string) => `["echo ${name} >> order.log"]`;
writeTree(dir, {
  'kloop.yaml': `version: v1
name: order
apps:
  web:
    manifests: [cm.yaml]
hooks:
${['beforeRender', 'afterRender', 'beforeDeploy', 'afterDeploy'].map((h) => `  ${h}: ${hook(h)}`).join('\n')}
`,
  'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web }\ndata: { a: "1" }\n',
});
const project = await loadProject({ cwd: dir, vars: {} }, { env: { PATH: process.env.PATH }, kubeconfig: {} as never });
const order = () => readFileSync(join(dir, 'order.log'), 'utf8').trim().split('\n');

test('deploy: the hooks around render and around the apply step, in order', async () => {
  rmSync(join(dir, 'order.log'), { force: true });
  const applied = await buildRenderApply(project, { cache: false }, async (rendered) => {
    appendFileSync(join(dir, 'order.log'), `apply ${rendered.apps.map((a) => a.objects.length)}\n`);
    return 'summary';
  });
  assert.equal(applied, 'summary');
  assert.deepEqual(order(), ['beforeRender', 'afterRender', 'beforeDeploy', 'apply 1', 'afterDeploy']);
});

test('a failed apply: its error, and afterDeploy does not run', async () => {
  rmSync(join(dir, 'order.log'), { force: true });
  await assert.rejects(
    buildRenderApply(project, { cache: false }, async () => {
      appendFileSync(join(dir, 'order.log'), 'apply\n');
      throw new Error('apply failed');
    }),
    /apply failed/,
  );
  assert.deepEqual(order(), ['beforeRender', 'afterRender', 'beforeDeploy', 'apply']);
});
