// Every app a dev session deployed, dependency projects' included, as the store, the terminal
// view and the dashboard show them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeploySummary } from '../../../src/deploy/deploy.ts';
import { deployedApps } from '../../../src/dev/session.ts';
import { summarizeApp } from '../../../src/dev/view.ts';
import { appRows } from '../../../src/ui/page/render.ts';

const result = (status: 'applied' | 'unchanged' | 'removed', leftAlone: string[] = []) => ({
  status,
  applied: [],
  unchanged: [],
  drifted: [],
  pruned: [],
  leftAlone,
});

const summary: DeploySummary = {
  project: 'shop',
  environment: 'local',
  context: 'kind',
  namespace: 'shop',
  apps: { web: result('applied'), cache: result('unchanged', ['configmap/cfg in shop']), old: result('removed') },
  images: {},
  dependencies: {
    db: {
      project: 'database',
      environment: 'local',
      context: 'kind',
      namespace: 'data',
      apps: { postgres: result('applied') },
      images: {},
      dependencies: {},
    },
  },
};

test('a deploy summary becomes one entry per app, dependency projects included, pruned apps left out', () => {
  const apps = deployedApps(summary);
  assert.deepEqual(
    Object.entries(apps).map(([n, a]) => [n, a.project, a.dependency, a.namespace, a.state, a.result, a.problem]),
    [
      ['web', 'shop', undefined, 'shop', 'ready', 'applied', undefined],
      [
        'cache',
        'shop',
        undefined,
        'shop',
        'ready',
        'unchanged',
        'left alone (not applied by kloop): configmap/cfg in shop',
      ],
      ['db/postgres', 'database', 'db', 'data', 'ready', 'applied', undefined],
    ],
  );
});

test('the terminal line and the dashboard row name the dependency and the first problem', () => {
  const apps = deployedApps(summary);
  assert.equal(summarizeApp('db/postgres', apps['db/postgres']!), 'app postgres (dependency db): ready (applied)');
  const failed = { project: 'shop', state: 'failed' as const, problem: 'web: not ready <after 5m>', at: '' };
  assert.equal(summarizeApp('web', failed), 'app web: failed: web: not ready <after 5m>');
  const html = appRows({ ...apps, web: failed });
  assert.match(html, /<li data-app="db\/postgres">postgres <span class="muted">dependency db<\/span>/);
  assert.match(html, /<li data-app="web">web <span class="badge s-error">failed<\/span>/);
  assert.match(html, /not ready &lt;after 5m&gt;/, 'problems are escaped');
  assert.equal(appRows(undefined), '');
});
