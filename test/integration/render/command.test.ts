// `kloop render` end to end through the CLI and loadProject: stdout stream, --out DIR with metadata
// and README, and failures that leave --out untouched.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { runCliSync } from '../../helpers/cli.ts';
import { copyFixture } from './fixture.ts';

const copies: string[] = [];
after(() => {
  for (const c of copies) rmSync(c, { recursive: true, force: true });
});

const kloop = (cwd: string, ...args: string[]) => runCliSync(args, { cwd, env: { ...process.env, CI: 'true' } });

function fixture(): string {
  const root = copyFixture();
  copies.push(root);
  return root;
}

describe('kloop render', () => {
  test('writes one YAML stream to stdout', () => {
    const root = fixture();
    const r = kloop(root, 'render', '--env', 'staging');
    assert.equal(r.code, 0, r.stderr);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string });
    assert.equal(docs.length, 21);
    assert.match(
      r.stderr,
      /web: Deployment\/shop-staging\/web-web container web: .* → registry\.example\.com\/shop\/web:/,
    );
    const only = kloop(root, 'render', 'jobs', '--env', 'staging', '--out', '-');
    assert.equal(parseAllDocuments(only.stdout).length, 2);
    const json = JSON.parse(kloop(root, 'render', 'jobs', 'platform', '-o', 'json').stdout);
    assert.deepEqual(Object.keys(json.apps), ['jobs', 'platform']);
    assert.equal(json.apps.platform.objects[0].kind, 'Namespace');
    assert.equal(json.metadata.kloop.project, 'shop');
    assert.deepEqual(json.warnings, [
      'image web (registry.example.com/shop/web) matched no container in the rendered apps',
    ]);
  });

  test('--out DIR: one file per app, metadata and README; the same bytes again', () => {
    const root = fixture();
    const r = kloop(
      root,
      'render',
      '--env',
      'production',
      '--image',
      'web=registry.example.com/shop/web:1.0',
      '--out',
      'out',
    );
    assert.equal(r.code, 0, r.stderr);
    const out = path.join(root, 'out');
    assert.deepEqual(readdirSync(out).sort(), [
      'README.md',
      'api.yaml',
      'front.yaml',
      'hydrator.metadata',
      'jobs.yaml',
      'lib.yaml',
      'platform.yaml',
      'web.yaml',
    ]);
    const meta = JSON.parse(readFileSync(path.join(out, 'hydrator.metadata'), 'utf8'));
    assert.equal(meta.kloop.environment, 'production');
    assert.equal(meta.kloop.images.web.ref, 'registry.example.com/shop/web:1.0');
    assert.match(meta.kloop.tools.helm, /^v3\./);
    const readme = readFileSync(path.join(out, 'README.md'), 'utf8');
    assert.match(readme, /kloop render --env production --image web=registry\.example\.com\/shop\/web:1\.0 --out out/);
    assert.match(readFileSync(path.join(out, 'web.yaml'), 'utf8'), /image: registry\.example\.com\/shop\/web:1\.0/);

    const snapshot = readdirSync(out).map((f) => readFileSync(path.join(out, f), 'utf8'));
    const again = kloop(
      root,
      'render',
      '--env',
      'production',
      '--image',
      'web=registry.example.com/shop/web:1.0',
      '--out',
      'out',
    );
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(
      readdirSync(out).map((f) => readFileSync(path.join(out, f), 'utf8')),
      snapshot,
    );
  });

  test('failures leave --out as it was and nothing half-written beside it', () => {
    const root = fixture();
    assert.equal(kloop(root, 'render', '--out', 'out').code, 0);
    const out = path.join(root, 'out');
    const before = readdirSync(out).map((f) => readFileSync(path.join(out, f), 'utf8'));

    appendFileSync(path.join(root, 'deploy/jobs/scripts.yaml'), '  x: "${NOT_DEFINED}"\n');
    const undefinedVar = kloop(root, 'render', '--out', 'out', '--strict-vars');
    assert.equal(undefinedVar.code, 1);
    assert.match(
      undefinedVar.stderr,
      /^error: deploy\/jobs\/scripts\.yaml:10:\d+: undefined variable \$\{NOT_DEFINED\}/m,
    );
    assert.deepEqual(
      readdirSync(out).map((f) => readFileSync(path.join(out, f), 'utf8')),
      before,
    );

    const fresh = kloop(root, 'render', '--out', 'new-out', '--strict-vars');
    assert.equal(fresh.code, 1);
    assert.equal(existsSync(path.join(root, 'new-out')), false);
    assert.deepEqual(
      readdirSync(root).filter((n) => n.includes('kloop-new') || n.includes('kloop-old')),
      [],
    );
  });

  test('beforeRender and afterRender hooks run around the render; a failing beforeRender stops it', () => {
    const root = fixture();
    const config = path.join(root, 'kloop.yaml');
    writeFileSync(
      config,
      `${readFileSync(config, 'utf8')}hooks:\n  beforeRender: ["echo before > hook.log"]\n  afterRender: ["ls \\"$KLOOP_RENDER_OUT\\" >> hook.log"]\n`,
    );
    const r = kloop(root, 'render', 'jobs', '--out', 'out');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      readFileSync(path.join(root, 'hook.log'), 'utf8'),
      'before\nREADME.md\nhydrator.metadata\njobs.yaml\n',
    );
    writeFileSync(config, readFileSync(config, 'utf8').replace('echo before > hook.log', 'exit 3'));
    const failed = kloop(root, 'render', 'jobs', '--out', 'out2');
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /hook beforeRender failed/);
    assert.equal(existsSync(path.join(root, 'out2')), false);
  });

  test('refuses to replace a directory it did not write; usage errors exit 2', () => {
    const root = fixture();
    mkdirSync(path.join(root, 'mine'));
    writeFileSync(path.join(root, 'mine', 'notes.txt'), 'keep me');
    const r = kloop(root, 'render', '--out', 'mine');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--out mine exists and is not an earlier kloop render output/);
    assert.equal(readFileSync(path.join(root, 'mine', 'notes.txt'), 'utf8'), 'keep me');
    assert.equal(kloop(root, 'render', '--image', 'web').code, 2);
    assert.equal(kloop(root, 'render', '--validate', 'maybe').code, 2);
  });
});
