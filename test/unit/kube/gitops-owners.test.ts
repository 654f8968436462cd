// Who reconciles an object (Flux labels, Argo CD tracking id or instance label) and the narrow,
// reversible pause for each: the exact ops, and ops that put back exactly what was there.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import jsonpatch from 'fast-json-patch';
import {
  DEFAULT_GITOPS,
  type OwnerHandle,
  ownerCandidate,
  pausePlan,
  resyncOps,
} from '../../../src/kube/gitops-owners.ts';
import type { KubeObject } from '../../../src/kube/types.ts';

const obj = (labels: Record<string, string> = {}, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', labels, ...(annotations ? { annotations } : {}) },
  spec: {},
});

const apply = <T>(doc: T, ops: unknown[]): T =>
  jsonpatch.applyPatch(structuredClone(doc), ops as jsonpatch.Operation[], true, false).newDocument;

test('owners from Flux labels, the Argo CD tracking id (both forms) and the instance label', () => {
  assert.deepEqual(
    ownerCandidate(
      obj({ 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' }),
      'argocd',
    ),
    {
      tool: 'Flux',
      kind: 'Kustomization',
      group: 'kustomize.toolkit.fluxcd.io',
      namespace: 'flux-system',
      name: 'apps',
    },
  );
  assert.deepEqual(
    ownerCandidate(obj({ 'helm.toolkit.fluxcd.io/name': 'web', 'helm.toolkit.fluxcd.io/namespace': 'shop' }), 'argocd'),
    { tool: 'Flux', kind: 'HelmRelease', group: 'helm.toolkit.fluxcd.io', namespace: 'shop', name: 'web' },
  );
  assert.deepEqual(
    ownerCandidate(obj({}, { 'argocd.argoproj.io/tracking-id': 'shop-dev:apps/Deployment:shop/web' }), 'gitops'),
    { tool: 'Argo CD', kind: 'Application', group: 'argoproj.io', namespace: 'gitops', name: 'shop-dev' },
  );
  assert.equal(
    ownerCandidate(obj({}, { 'argocd.argoproj.io/tracking-id': 'team-a_shop:apps/Deployment:shop/web' }), 'argocd')
      ?.namespace,
    'team-a',
  );
  assert.equal(ownerCandidate(obj({ 'app.kubernetes.io/instance': 'shop' }), 'argocd')?.guess, true);
  assert.equal(ownerCandidate(obj({ app: 'web' }), 'argocd'), undefined);
});

const handle = (kind: OwnerHandle['owner']['kind'], object: KubeObject): OwnerHandle => ({
  owner: { tool: kind === 'Application' ? 'Argo CD' : 'Flux', kind, group: 'g', namespace: 'ns', name: 'o' },
  path: '/apis/g/v1/namespaces/ns/owners/o',
  object,
});

test('Flux Kustomization: the reconcile annotation on the object only; undo restores annotations exactly', () => {
  const befores: Array<Record<string, string> | undefined> = [
    undefined,
    { team: 'a' },
    { 'kustomize.toolkit.fluxcd.io/reconcile': 'enabled' },
  ];
  for (const before of befores) {
    const o = obj({}, before);
    const plan = pausePlan(
      handle('Kustomization', { apiVersion: 'v1', kind: 'K', metadata: {} }),
      '/x',
      o,
      DEFAULT_GITOPS,
    )!;
    assert.equal(plan.path, '/x');
    assert.equal(plan.wide, false);
    const paused = apply(o, plan.pause);
    assert.equal(paused.metadata.annotations?.['kustomize.toolkit.fluxcd.io/reconcile'], 'disabled');
    const back = apply(paused, plan.undo);
    assert.deepEqual(back.metadata.annotations ?? {}, before ?? {});
  }
  assert.equal(
    pausePlan(
      handle('Kustomization', obj()),
      '/x',
      obj({}, { 'kustomize.toolkit.fluxcd.io/reconcile': 'disabled' }),
      DEFAULT_GITOPS,
    ),
    undefined,
    'already disabled by someone: nothing to pause or give back',
  );
});

test('HelmRelease: spec.suspend, previous value restored; Argo CD: selfHeal off only when on', () => {
  const hr = { apiVersion: 'v2', kind: 'HelmRelease', metadata: {}, spec: { interval: '5m' } } as KubeObject;
  const plan = pausePlan(handle('HelmRelease', hr), '/x', obj(), DEFAULT_GITOPS)!;
  assert.equal(plan.path, '/apis/g/v1/namespaces/ns/owners/o');
  assert.equal(plan.wide, true);
  assert.deepEqual(apply(hr, plan.pause).spec, { interval: '5m', suspend: true });
  assert.deepEqual(apply(apply(hr, plan.pause), plan.undo), hr);

  const app = {
    apiVersion: 'v1alpha1',
    kind: 'Application',
    metadata: {},
    spec: { syncPolicy: { automated: { prune: true, selfHeal: true } } },
  } as KubeObject;
  const argo = pausePlan(handle('Application', app), '/x', obj(), DEFAULT_GITOPS)!;
  assert.deepEqual(apply(app, argo.pause).spec.syncPolicy.automated, { prune: true, selfHeal: false });
  assert.deepEqual(apply(apply(app, argo.pause), argo.undo), app);
  // the undo is guarded: someone who turned self-heal on again meanwhile is not overridden
  assert.throws(() => apply(app, argo.undo));
  const manual = { ...app, spec: { syncPolicy: {} } } as KubeObject;
  assert.equal(pausePlan(handle('Application', manual), '/x', obj(), DEFAULT_GITOPS), undefined);
  const skip = pausePlan(handle('Application', app), '/x', obj(), { ...DEFAULT_GITOPS, argocdPause: 'skipReconcile' })!;
  assert.equal(apply(app, skip.pause).metadata.annotations?.['argocd.argoproj.io/skip-reconcile'], 'true');
  assert.deepEqual(apply(apply(app, skip.pause), skip.undo).metadata.annotations ?? {}, {});
});

test('resync asks Flux with requestedAt and Argo CD with refresh', () => {
  const now = new Date('2026-12-07T08:00:00Z');
  assert.deepEqual(resyncOps('Flux', { apiVersion: 'v1', kind: 'K', metadata: {} }, now), [
    {
      op: 'add',
      path: '/metadata/annotations',
      value: { 'reconcile.fluxcd.io/requestedAt': '2026-12-07T08:00:00.000Z' },
    },
  ]);
  assert.deepEqual(resyncOps('Argo CD', { apiVersion: 'v1', kind: 'A', metadata: { annotations: {} } }), [
    { op: 'add', path: '/metadata/annotations/argocd.argoproj.io~1refresh', value: 'normal' },
  ]);
});
