import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffObjects, unifiedDiff } from '../../../src/gitops/diff.ts';
import type { KubeObject } from '../../../src/render/index.ts';

const cm = (name: string, data: Record<string, string>, ns = 'shop'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data,
});

describe('diffObjects', () => {
  it('reports added, changed and deleted objects by kind, namespace and name', () => {
    const changes = diffObjects(
      [cm('a', { x: '1' }), cm('b', { x: '1' }), cm('c', {})],
      [cm('a', { x: '2' }), cm('c', {}), cm('d', {})],
    );
    assert.deepEqual(
      changes.map((c) => [c.change, c.kind, c.namespace, c.name]),
      [
        ['added', 'ConfigMap', 'shop', 'd'],
        ['changed', 'ConfigMap', 'shop', 'a'],
        ['deleted', 'ConfigMap', 'shop', 'b'],
      ],
    );
    assert.match(changes[1]!.diff, /^- {2}x: "1"$/m);
    assert.match(changes[1]!.diff, /^\+ {2}x: "2"$/m);
  });

  it('tells objects of the same name apart by group and namespace', () => {
    const a = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'x' } };
    const b = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'y' } };
    assert.deepEqual(
      diffObjects([a], [b]).map((c) => `${c.change} ${c.namespace}`),
      ['added y', 'deleted x'],
    );
  });
});

describe('unifiedDiff', () => {
  it('writes hunks with three lines of context and correct line numbers', () => {
    const before = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'].join('\n') + '\n';
    const after = ['1', '2', '3', '4', '5', 'six', '7', '8', '9', '10'].join('\n') + '\n';
    assert.equal(
      unifiedDiff(before, after),
      ['@@ -3,7 +3,7 @@', ' 3', ' 4', ' 5', '-6', '+six', ' 7', ' 8', ' 9'].join('\n'),
    );
  });

  it('shows a whole new or deleted text', () => {
    assert.equal(unifiedDiff('', 'a\nb\n'), '@@ -0,0 +1,2 @@\n+a\n+b');
    assert.equal(unifiedDiff('a\n', ''), '@@ -1,1 +0,0 @@\n-a');
    assert.equal(unifiedDiff('same\n', 'same\n'), '');
  });
});
