import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeInventory,
  encodeInventory,
  type InventoryEntry,
  inventoryName,
  objectHash,
  pendingEntries,
  planInventory,
} from '../../../src/kube/inventory.ts';

const entry = (kind: string, name: string, hash: string, uid?: string, namespace = 'shop'): InventoryEntry => ({
  group: kind === 'Deployment' ? 'apps' : '',
  version: 'v1',
  kind,
  namespace,
  name,
  hash,
  ...(uid ? { uid } : {}),
});

describe('inventory', () => {
  it('hashes objects independent of key order, dependent on every value', () => {
    const a = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', labels: { a: '1', b: '2' } },
      data: { k: 'v' },
    };
    const b = {
      data: { k: 'v' },
      metadata: { labels: { b: '2', a: '1' }, name: 'x' },
      kind: 'ConfigMap',
      apiVersion: 'v1',
    };
    assert.equal(objectHash(a), objectHash(b));
    assert.notEqual(objectHash(a), objectHash({ ...a, data: { k: 'w' } }));
  });

  it('plans unchanged, changed and pruned objects', () => {
    const recorded = [
      entry('Deployment', 'web', 'h1', 'u1'),
      entry('Service', 'web', 'h2', 'u2'),
      entry('ConfigMap', 'old', 'h3', 'u3'),
    ];
    const desired = [entry('Deployment', 'web', 'h1'), entry('Service', 'web', 'h2b'), entry('ConfigMap', 'new', 'h4')];
    const plan = planInventory(recorded, desired);
    assert.deepEqual(
      plan.unchanged.map((e) => [e.name, e.uid]),
      [['web', 'u1']],
    );
    assert.deepEqual(
      plan.changed.map((e) => `${e.kind}/${e.name}:${e.uid ?? '-'}`),
      ['Service/web:u2', 'ConfigMap/new:-'],
    );
    assert.deepEqual(
      plan.prune.map((e) => e.name),
      ['old'],
    );
  });

  it('treats an entry without uid (apply never confirmed) as changed', () => {
    const plan = planInventory([entry('Service', 'web', 'h2')], [entry('Service', 'web', 'h2')]);
    assert.equal(plan.unchanged.length, 0);
    assert.equal(plan.changed.length, 1);
  });

  it('records both the new objects and the ones still to prune before applying', () => {
    const recorded = [entry('ConfigMap', 'old', 'h3', 'u3'), entry('ConfigMap', 'kept', 'h1', 'u1')];
    const desired = [entry('ConfigMap', 'kept', 'h9')];
    assert.deepEqual(
      pendingEntries(recorded, desired).map((e) => `${e.name}:${e.hash}`),
      ['kept:h9', 'old:h3'],
    );
  });

  it('round-trips through ConfigMap data, one key per app', () => {
    const apps = new Map([
      ['web', [entry('Deployment', 'web', 'h1', 'u1')]],
      [
        'cache',
        [
          entry('Service', 'cache', 'h2', 'u2'),
          { group: '', version: 'v1', kind: 'Namespace', name: 'shop', hash: 'h5' },
        ],
      ],
    ]);
    const data = encodeInventory(apps);
    assert.deepEqual(Object.keys(data), ['app.cache', 'app.web']);
    assert.deepEqual(decodeInventory(data, 'x'), apps);
    assert.throws(() => decodeInventory({ 'app.web': '{' }, 'configmap x'), /inventory configmap x is damaged/);
    assert.equal(inventoryName('shop', 'local'), 'kloop-inventory-shop-local');
  });
});
