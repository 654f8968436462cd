import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResourceChange } from '../../../src/gitops/diff.ts';
import type { GitopsMetadata } from '../../../src/gitops/metadata.ts';
import { ciRunUrl, summary } from '../../../src/gitops/summary.ts';

const metadata: GitopsMetadata = {
  author: 'Dev <dev@example.com>',
  subject: 'web: faster',
  drySha: 'a'.repeat(40),
  repoURL: 'https://github.com/acme/shop.git',
  references: [],
  kloop: {
    version: '0.1.0',
    project: 'shop',
    environment: 'staging',
    kubeVersion: '1.32',
    dirty: false,
    images: { web: { ref: 'r.example/web:new', tag: 'new', digest: 'sha256:abc' } },
    tools: {},
    apps: {},
    validated: true,
  },
};

function changes(n: number): ResourceChange[] {
  return Array.from({ length: n }, (_, i) => ({
    change: 'changed' as const,
    kind: 'ConfigMap',
    namespace: 'shop',
    name: `config-${i}`,
    diff: `@@ -1,1 +1,1 @@\n-${'x'.repeat(300)}\n+${'y'.repeat(300)}`,
  }));
}

const input = (n: number) => ({
  metadata,
  oldImages: { web: { ref: 'r.example/web:old', tag: 'old' } },
  changes: changes(n),
  validation: ['schema: ok'],
  configPath: 'kloop.yaml',
});

describe('the PR body', () => {
  it('holds the marker, source, image table, resources, diffs, validation and reproduce commands', () => {
    const body = summary(input(2));
    assert.ok(body.startsWith('<!-- kloop:promote project=shop env=staging -->\n'));
    assert.match(body, /\[`aaaaaaaaaaaa`\]\(https:\/\/github\.com\/acme\/shop\/commit\/a{40}\)/);
    assert.match(body, /Commit: web: faster — Dev <dev@example\.com>/);
    assert.match(body, /\| web \| old \| new \| sha256:abc \|/);
    assert.match(body, /0 added, 2 changed, 0 deleted/);
    assert.equal(body.match(/<details>/g)?.length, 2);
    assert.match(body, /- schema: ok/);
    assert.match(body, /kloop render --config kloop\.yaml --env staging --image web=r\.example\/web:new@sha256:abc/);
  });

  it("is cut to the forge's limit with a notice, keeping every section", () => {
    const body = summary(input(40), 4000);
    assert.ok(body.length <= 4000, `${body.length}`);
    const shown = body.match(/<details>/g)?.length ?? 0;
    assert.ok(shown > 0 && shown < 40, `${shown} diffs shown`);
    assert.match(
      body,
      new RegExp(
        `${40 - shown} of 40 resource diffs omitted: the pull request description is limited to 4000 characters`,
      ),
    );
    assert.match(body, /### Reproduce/);
    assert.ok(body.startsWith('<!-- kloop:promote'));
  });

  it('cuts even the resource table when it alone is too long', () => {
    const body = summary(input(500), 4000);
    assert.ok(body.length <= 4000);
    assert.ok(body.startsWith('<!-- kloop:promote'));
    assert.match(body, /Truncated to 4000 characters/);
  });
});

describe('the CI run link', () => {
  it('is built from the CI variables of each forge', () => {
    assert.equal(
      ciRunUrl({ GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/shop', GITHUB_RUN_ID: '42' }),
      'https://github.com/acme/shop/actions/runs/42',
    );
    assert.equal(
      ciRunUrl({ SYSTEM_COLLECTIONURI: 'https://dev.azure.com/acme/', SYSTEM_TEAMPROJECT: 'ops', BUILD_BUILDID: '7' }),
      'https://dev.azure.com/acme/ops/_build/results?buildId=7',
    );
    assert.equal(ciRunUrl({}), undefined);
    assert.match(
      summary({ ...input(0), ciRun: 'https://ci.example/run/1' }),
      /^CI run: https:\/\/ci\.example\/run\/1$/m,
    );
  });
});
