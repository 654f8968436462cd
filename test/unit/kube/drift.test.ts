import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changedBy, driftOf, liveHash, liveView, recordLive } from '../../../src/kube/drift.ts';
import type { InventoryEntry } from '../../../src/kube/inventory.ts';
import type { KubeObject } from '../../../src/kube/types.ts';

const applied: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { 'kloop.dev/app': 'web' } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'main', image: 'busybox' }] } } },
};

/** the object as the server returns it: defaults, status, metadata kloop never set */
function liveOf(overrides: { replicas?: number; rv?: string; image?: string; extra?: boolean } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: 'u1',
      resourceVersion: overrides.rv ?? '10',
      labels: { 'kloop.dev/app': 'web', ...(overrides.extra ? { team: 'blue' } : {}) },
      annotations: overrides.extra ? { note: 'hi' } : undefined,
    },
    spec: {
      replicas: overrides.replicas ?? 1,
      strategy: { type: 'RollingUpdate' },
      template: {
        spec: {
          containers: [
            { name: 'main', image: overrides.image ?? 'busybox', terminationMessagePath: '/dev/termination-log' },
            ...(overrides.extra ? [{ name: 'sidecar', image: 'envoy' }] : []),
          ],
        },
      },
    },
    status: { observedGeneration: 1, replicas: 1 },
  };
}

const entry: InventoryEntry = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  namespace: 'shop',
  name: 'web',
  hash: 'h',
};

describe('drift', () => {
  it('sees the live object only at the paths kloop applied', () => {
    assert.deepEqual(liveView(liveOf(), applied), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { labels: { 'kloop.dev/app': 'web' }, name: 'web' },
      spec: { replicas: 1, template: { spec: { containers: [{ image: 'busybox', name: 'main' }] } } },
    });
    assert.deepEqual(liveView({ a: 1 }, { a: 1, b: { c: 2 } }), { a: 1, b: null });
  });

  it('records resourceVersion and live hash after an apply; unchanged resourceVersion is no drift', () => {
    const rec = recordLive(entry, liveOf(), applied);
    assert.equal(rec.uid, 'u1');
    assert.equal(rec.rv, '10');
    assert.equal(driftOf(rec, liveOf(), applied), undefined);
  });

  it('ignores status, defaults and fields kloop never set; catches any applied value changed', () => {
    const rec = recordLive(entry, liveOf(), applied);
    assert.equal(driftOf(rec, liveOf({ rv: '11', extra: true }), applied), undefined);
    assert.equal(driftOf(rec, liveOf({ rv: '12', replicas: 3 }), applied), 'changed');
    assert.equal(driftOf(rec, liveOf({ rv: '12', image: 'nginx' }), applied), 'changed');
    const relabelled = liveOf({ rv: '13' });
    relabelled.metadata.labels = {};
    assert.equal(driftOf(rec, relabelled, applied), 'changed');
  });

  it('reports a deleted object, and an entry recorded before live state was kept', () => {
    const rec = recordLive(entry, liveOf(), applied);
    assert.equal(driftOf(rec, undefined, applied), 'deleted');
    assert.equal(driftOf(entry, liveOf(), applied), 'unrecorded');
  });

  it("compares a Secret's stringData with the data the server stores", () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      stringData: { token: 'a' },
    };
    const live = (token: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', uid: 'u', resourceVersion: token },
      data: { token: Buffer.from(token).toString('base64') },
      type: 'Opaque',
    });
    assert.equal(liveHash(live('a'), secret), liveHash(live('a'), secret));
    assert.notEqual(liveHash(live('a'), secret), liveHash(live('b'), secret));
  });

  it('names the managers that wrote last, never kloop or a status writer', () => {
    const live = liveOf();
    live.metadata.managedFields = [
      { manager: 'kloop', operation: 'Apply', time: '2026-01-01T00:00:03Z' },
      { manager: 'kube-controller-manager', operation: 'Update', time: '2026-01-01T00:00:09Z', subresource: 'status' },
      { manager: 'kubectl', operation: 'Update', time: '2026-01-01T00:00:05Z' },
      { manager: 'helm', operation: 'Update', time: '2026-01-01T00:00:01Z' },
    ] as never;
    assert.deepEqual(changedBy(live), ['kubectl']);
  });
});
