// The published bins are esbuild bundles (npm run build → scripts/build.ts). Built here the way
// npm installs them (dist/ next to package.json and schema/), they must answer like the sources:
// --version, a render of the example project, print, and the sandbox CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = resolve(import.meta.dirname, '../../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
};

function run(file: string, args: string[], cwd = root) {
  const r = spawnSync(process.execPath, [file, ...args], {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      CI: 'true',
      NO_COLOR: '1',
      HOME: tmpdir(),
      KUBECONFIG: join(tmpdir(), 'kloop-no-kubeconfig'),
    },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the bundled build (npm run build)', () => {
  let pkgDir: string;
  const bin = (name: string) => join(pkgDir, pkg.bin[name]!);

  before(() => {
    // an installed package: package.json, schema/ and node_modules beside dist/
    pkgDir = mkdtempSync(join(tmpdir(), 'kloop-bundle-'));
    for (const f of ['package.json', 'schema', 'node_modules']) symlinkSync(join(root, f), join(pkgDir, f));
    const built = spawnSync(process.execPath, [join(root, 'scripts/build.ts'), '--outdir', join(pkgDir, 'dist')], {
      encoding: 'utf8',
    });
    assert.equal(built.status, 0, built.stderr);
  });
  after(() => {
    if (pkgDir) rmSync(pkgDir, { recursive: true, force: true });
  });

  it("writes the files package.json's bin points to, one per entry point, commands in chunks", () => {
    for (const name of ['kloop', 'kloop-sandbox']) assert.ok(existsSync(bin(name)), `${pkg.bin[name]} is built`);
    const entry = readFileSync(bin('kloop'), 'utf8');
    assert.ok(entry.length < 4000, `the entry point stays small (${entry.length} bytes): commands load lazily`);
    assert.ok(existsSync(join(pkgDir, 'dist/src/cli/page/app.js')), "the dashboard's browser modules are built");
  });

  it('kloop --version prints the package version', () => {
    const r = run(bin('kloop'), ['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
  });

  it('kloop render and kloop print of the example project answer like the sources', () => {
    const examples = join(root, 'examples');
    // render twice: the second one reads its YAML from the bundle's cache
    for (const args of [['render'], ['render'], ['render', '--env', 'staging'], ['print']]) {
      const bundled = run(bin('kloop'), args, examples);
      const sources = run(join(root, 'src/cli/bin.ts'), args, examples);
      assert.equal(bundled.code, 0, bundled.stderr);
      assert.equal(sources.code, 0, sources.stderr);
      assert.ok(bundled.stdout.length > 100, `kloop ${args.join(' ')} printed something`);
      assert.equal(bundled.stdout, sources.stdout, `kloop ${args.join(' ')}: bundle and sources agree`);
    }
  });

  it('a user error is one message and exit 1, without a stack', () => {
    const r = run(bin('kloop'), ['render', '--env', 'nope'], join(root, 'examples'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nope/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('kloop-sandbox answers its usage and status', () => {
    const r = run(bin('kloop-sandbox'), ['status', '--kubeconfig', join(pkgDir, 'no-kubeconfig')]);
    assert.match(`${r.stdout}${r.stderr}`, /not (up|running)|down/i);
  });
});
