// The pieces of kloop init that hold its promises: nothing read is dropped silently, what it writes
// reads back the same under YAML 1.1 and 1.2, shell variables survive, source selectors map.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { convertDevspace } from '../../../src/init/devspace.ts';
import { emptyDraft, repositoryOf } from '../../../src/init/draft.ts';
import { scan, scannedIntoDraft } from '../../../src/init/scan.ts';
import { dockerfileCopies } from '../../../src/init/skaffold.ts';
import { Source } from '../../../src/init/source.ts';
import { references, shellSafe, toYaml } from '../../../src/init/write.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('leftovers: every key not read is reported', () => {
  it('reports the highest untouched path and nothing that was read', () => {
    const src = new Source('devspace.yaml', {
      images: { a: { image: 'x', tags: ['1'], entrypoint: ['sh'] } },
      dev: { logs: { showLast: 1, sync: true } },
      weird: {},
    });
    const a = src.root().at('images').at('a');
    assert.equal(a.str('image'), 'x');
    a.at('tags').skip('computed');
    const left = src.leftovers().map((n) => n.path);
    assert.deepEqual(left.sort(), ['dev', 'images.a.entrypoint', 'weird']);
    assert.deepEqual(
      src.notes.map((n) => [n.path, n.reason]),
      [['images.a.tags', 'computed']],
    );
  });

  it('a devspace.yaml with unknown keys lists each of them (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^x[a-z]{1,6}$/), { minLength: 1, maxLength: 4 }), (keys) => {
        const web: Record<string, unknown> = { image: 'r/web' };
        for (const k of keys) web[k] = 1;
        const doc = { version: 'v2beta1', images: { web } };
        const src = convertDevspace('/nonexistent', 'devspace.yaml', doc, emptyDraft());
        const left = src.leftovers().map((n) => n.path);
        assert.deepEqual(left.sort(), keys.map((k) => `images.web.${k}`).sort());
      }),
    );
  });
});

describe('YAML written by init', () => {
  const tricky = fc.constantFrom(
    'on',
    'off',
    'yes',
    'no',
    'y',
    'n',
    '~',
    'null',
    '0777',
    '0x1f',
    '1_000',
    '3000:30',
    '8080:80',
    '1e3',
    '.inf',
    '2001-12-14',
    'true',
    '12',
    '-',
    ' x',
    'a: b',
    '#c',
    '${X}',
  );
  const value = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      tricky,
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.array(tie('v'), { maxLength: 3 }),
      fc.dictionary(fc.oneof(tricky, fc.string({ minLength: 1 })), tie('v'), { maxKeys: 3, noNullPrototype: true }),
    ),
  })).v;
  it('reads back to the same values under YAML 1.1 (the cluster, helm) and 1.2', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.oneof(tricky, fc.string({ minLength: 1 })), value, { maxKeys: 4, noNullPrototype: true }),
        (o) => {
          const text = toYaml(o);
          assert.deepEqual(parse(text, { version: '1.1' }), o, text);
          assert.deepEqual(parse(text, { version: '1.2' }), o, text);
        },
      ),
    );
  });
});

describe('shell commands and variables', () => {
  it('leaves ${X} to the shell unless kloop declares X', () => {
    assert.equal(
      shellSafe('echo ${HOME} ${IMAGE} $$ {x} ${A:-b}', { IMAGE: 'r/i' }),
      'echo $${HOME} ${IMAGE} $$ {x} ${A:-b}',
    );
    assert.equal(shellSafe('echo $${HOME}', {}), 'echo $${HOME}');
  });
  it('collects ${X} references without a default, not escaped ones', () => {
    assert.deepEqual([...references({ a: '${A}/x', b: ['${B:-d}', '$${C}', '${D}'] })].sort(), ['A', 'D']);
  });
  it('repositories keep a registry port and lose tag and digest', () => {
    assert.equal(repositoryOf('localhost:5000/app:1.2'), 'localhost:5000/app');
    assert.equal(repositoryOf('${R}.azurecr.io/azvote/front:v1'), '${R}.azurecr.io/azvote/front');
    assert.equal(repositoryOf('r/app@sha256:abc'), 'r/app');
  });
});

describe('sync.infer: the directories the last stage copies', () => {
  it('follows WORKDIR, skips files, globs and --from copies', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kloop-init-df-'));
    dirs.push(dir);
    for (const d of ['src', 'static']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'go.mod'), '');
    writeFileSync(
      join(dir, 'Dockerfile'),
      'FROM golang AS build\nCOPY src /nope\nFROM busybox\nWORKDIR /app\nCOPY --chown=1:1 src ./src\nCOPY go.mod .\nCOPY --from=build /x /y\nADD ["static", "/www/"]\nCOPY *.txt /t\n',
    );
    assert.deepEqual(dockerfileCopies(join(dir, 'Dockerfile'), dir), [
      { from: 'src', to: '/app/src' },
      { from: 'static', to: '/www' },
    ]);
  });
});

describe('scan: a script that renders charts into kustomize bases', () => {
  it('follows a loop variable shared by the chart and the output, one app per base; envsubst lists the chart values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kloop-init-scan-'));
    dirs.push(dir);
    const files: Record<string, string> = {
      'utils/gen.sh':
        'for file in `find $1 -name "*.yaml"`; do envsubst <"$file" > "$file"1 && mv "$file"1 "$file"; done\nfor app in `find $1 -mindepth 1 -maxdepth 1 -type d`; do \\\n  helm template "$app"/helm > "$app"/kustomize/base/manifests.yaml\ndone\n',
      'm/vote/helm/Chart.yaml': 'apiVersion: v2\nname: vote\nversion: 0.1.0\n',
      'm/vote/helm/values.yaml': 'image: $REGISTRY/vote\n',
      'm/vote/kustomize/base/kustomization.yaml': 'resources: [manifests.yaml]\n',
      'm/cart/helm/Chart.yaml': 'apiVersion: v2\nname: cart\nversion: 0.1.0\n',
      'm/cart/kustomize/base/kustomization.yaml': 'resources: [manifests.yaml, extra.yaml]\n',
      'm/cart/kustomize/base/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
      'm/cart/kustomize/overlays/dev/kustomization.yaml': 'resources: [../../base]\n',
      'm/comp/kustomization.yaml': 'kind: Component\n',
    };
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
    const found = scan(dir);
    assert.deepEqual(found.helmIntoKustomize.map((h) => [h.chart, h.kustomize, h.values]).sort(), [
      ['m/cart/helm', 'm/cart/kustomize/base', []],
      ['m/vote/helm', 'm/vote/kustomize/base', ['m/vote/helm/values.yaml']],
    ]);
    assert.deepEqual(found.kustomizations, [], 'bases, their overlays and components are not apps of their own');
    assert.deepEqual(found.components, ['m/comp']);
    assert.deepEqual(found.charts, []);
    const draft = emptyDraft();
    scannedIntoDraft(dir, 'p', found, draft, false);
    assert.deepEqual(Object.keys(draft.apps).sort(), ['cart', 'vote']);

    // a converted config that names the generated base: the chart joins that app, nothing is added
    const converted = emptyDraft();
    converted.apps.front = { kustomize: 'm/vote/kustomize/base' };
    converted.namesManifests = true;
    scannedIntoDraft(dir, 'p', found, converted, false);
    assert.deepEqual(converted.apps, {
      front: {
        kustomize: 'm/vote/kustomize/base',
        helm: { chart: 'm/vote/helm', values: ['m/vote/helm/values.yaml'] },
      },
    });
  });
});
