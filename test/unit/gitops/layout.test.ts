import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandPath, layoutFor } from '../../../src/gitops/layout.ts';
import { KloopError } from '../../../src/errors.ts';

const apps = [
  { name: 'web', namespace: 'shop', yaml: 'kind: A\n' },
  { name: 'cache', namespace: 'data', yaml: 'kind: B\n' },
];

describe('gitops layout', () => {
  it('puts each app in its own file, metadata in the common directory', () => {
    const l = layoutFor('clusters/{env}/{app}.yaml', { env: 'staging', project: 'shop' }, apps, 'kloop.yaml');
    assert.deepEqual([...l.files.keys()], ['clusters/staging/web.yaml', 'clusters/staging/cache.yaml']);
    assert.deepEqual(l.targets, ['clusters/staging/cache.yaml', 'clusters/staging/web.yaml']);
    assert.equal(l.metadataDir, 'clusters/staging/.kloop/shop');
  });

  it('writes manifest.yaml into directory paths and expands {namespace} and {project}', () => {
    const l = layoutFor(
      '{env}/manifests/{namespace}/{project}-{app}',
      { env: 'prod', project: 'shop' },
      apps,
      'kloop.yaml',
    );
    assert.deepEqual(l.appFiles, {
      web: 'prod/manifests/shop/shop-web/manifest.yaml',
      cache: 'prod/manifests/data/shop-cache/manifest.yaml',
    });
    assert.equal(l.metadataDir, 'prod/manifests/.kloop/shop');
  });

  it('joins apps that share one file', () => {
    const l = layoutFor('envs/{env}.yaml', { env: 'dev', project: 'shop' }, apps, 'kloop.yaml');
    assert.equal(l.files.get('envs/dev.yaml'), 'kind: A\n---\nkind: B\n');
  });

  it('refuses paths outside the repository and unknown placeholders', () => {
    const v = { env: 'x', app: 'a', namespace: 'n', project: 'p' };
    assert.throws(() => expandPath('../{app}.yaml', v, 'kloop.yaml'), /outside the repository/);
    assert.throws(() => expandPath('/abs/{app}.yaml', v, 'kloop.yaml'), KloopError);
    assert.throws(() => expandPath('.git/hooks/{app}', v, 'kloop.yaml'), /\.git/);
    assert.throws(() => expandPath('{cluster}/{app}.yaml', v, 'kloop.yaml'), /unknown placeholder \{cluster\}/);
  });
});
