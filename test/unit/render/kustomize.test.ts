import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'yaml';
import { kustomizeInputs, wrapHelmOutput } from '../../../src/render/kustomize.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'kloop-kustomize-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const write = (rel: string, text: string) => {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  writeFileSync(path.join(dir, rel), text);
};
const read = async (file: string) => Buffer.from(readFileSync(file, 'utf8').replaceAll('${X}', 'x'));

write('base/kustomization.yaml', 'resources: [deploy.yaml]\nconfigMapGenerator:\n  - name: c\n    envs: [vars.env]\n');
write('base/deploy.yaml', 'kind: Deployment\n');
write('base/vars.env', 'A=${X}\n');
write(
  'overlay/kustomization.yml',
  [
    'resources:',
    '  - ../base',
    '  - helm-output.yaml',
    '  - https://github.com/example/remote//base?ref=v1',
    'patches:',
    '  - path: patch.yaml',
    '  - patch: |-',
    '      - op: remove',
    'configMapGenerator:',
    '  - name: files',
    '    files: [key=data.txt, plain.txt]',
    '',
  ].join('\n'),
);
write('overlay/patch.yaml', 'spec: ${X}\n');
write('overlay/data.txt', 'd');
write('overlay/plain.txt', 'p');
write('overlay/unreferenced.yaml', 'not read');

test('kustomizeInputs follows every reference, substituted; missing listed files and remote bases are reported', async () => {
  const inputs = await kustomizeInputs(path.join(dir, 'overlay'), read);
  assert.deepEqual([...inputs.files.keys()].map((f) => path.relative(dir, f)).sort(), [
    'base/deploy.yaml',
    'base/kustomization.yaml',
    'base/vars.env',
    'overlay/data.txt',
    'overlay/kustomization.yml',
    'overlay/patch.yaml',
    'overlay/plain.txt',
  ]);
  assert.equal(inputs.files.get(path.join(dir, 'overlay/patch.yaml'))!.toString(), 'spec: x\n');
  assert.deepEqual(inputs.missingResources, [path.join(dir, 'overlay/helm-output.yaml')]);
  assert.deepEqual(inputs.remote, ['https://github.com/example/remote//base?ref=v1']);
});

test('wrapHelmOutput takes the missing listed file, else adds a resource', async () => {
  const overlay = await kustomizeInputs(path.join(dir, 'overlay'), read);
  assert.deepEqual(wrapHelmOutput(overlay, 'web'), { outputFile: path.join(dir, 'overlay/helm-output.yaml') });
  const base = await kustomizeInputs(path.join(dir, 'base'), read);
  const wrap = wrapHelmOutput(base, 'web');
  assert.equal(wrap.outputFile, path.join(dir, 'base/kloop-helm-web.yaml'));
  assert.deepEqual(parse(wrap.kustomizationText!).resources, ['deploy.yaml', 'kloop-helm-web.yaml']);
});

test('a directory without a kustomization is a clear error', async () => {
  await assert.rejects(kustomizeInputs(path.join(dir, 'base', '..'), read), /no kustomization\.yaml in /);
});
