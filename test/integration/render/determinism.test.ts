// Renders that change on their own: helm test hooks are left out unless an app opts in, and a
// template that gives different output for the same inputs is named (object and field) by the
// double render promote and diff do; promote refuses it (tested in the gitops suite's CLI flags).
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadProject } from '../../../src/config/load.ts';
import { KloopError } from '../../../src/errors.ts';
import { render } from '../../../src/render/index.ts';

const CASE = path.resolve(import.meta.dirname, '../../fixtures/render/cases/helm-test-hooks');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function copy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kloop-determinism-'));
  cpSync(CASE, dir, { recursive: true });
  dirs.push(dir);
  return dir;
}

const load = (cwd: string) => loadProject({ cwd, vars: {} });

describe('determinism', () => {
  test('helm test hooks are left out by default and rendered with includeTests', async () => {
    const dir = copy();
    const plain = await render(await load(dir), { cache: false, determinism: 'refuse' });
    assert.deepEqual(
      plain.apps[0]!.objects.map((o) => o.kind),
      ['Service'],
    );
    writeFileSync(
      path.join(dir, 'kloop.yaml'),
      'version: v1\nname: hooks\napps:\n  web:\n    namespace: hooks\n    helm: { chart: chart, includeTests: true }\n',
    );
    const withTests = await render(await load(dir), { cache: false, determinism: 'warn' });
    const pod = withTests.apps[0]!.objects.find((o) => o.kind === 'Pod');
    assert.match(pod?.metadata.name ?? '', /^web-test-[a-z0-9]{5}$/);
    assert.ok(
      withTests.warnings.some((w) =>
        /^the render changes with no input change: app web: Pod\/web-test-[a-z0-9]{5} is named differently/.test(w),
      ),
      withTests.warnings.join('\n'),
    );
  });

  test('a random value is named by object and field; refuse makes it an error', async () => {
    const dir = copy();
    writeFileSync(
      path.join(dir, 'chart/templates/secret.yaml'),
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\nstringData:\n  token: {{ randAlphaNum 16 | quote }}\n',
    );
    const project = await load(dir);
    const warned = await render(project, { cache: false, determinism: 'warn' });
    assert.deepEqual(
      warned.warnings.filter((w) => w.startsWith('the render changes')),
      ['the render changes with no input change: app web: Secret/token: stringData.token'],
    );
    await assert.rejects(
      render(project, { cache: false, determinism: 'refuse' }),
      (e: unknown) =>
        e instanceof KloopError &&
        e.message === 'the render changes with no input change: app web: Secret/token: stringData.token' &&
        /--allow-nondeterministic/.test(e.hint ?? ''),
    );
    const off = await render(project, { cache: false });
    assert.equal(
      off.warnings.some((w) => w.startsWith('the render changes')),
      false,
      'render and deploy do not pay for it',
    );
  });
});
