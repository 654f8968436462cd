// A stand-in for Flux's kustomize- and helm-controllers and Argo CD's application controller, as
// each documents its drift correction: on every interval, Git's version of each owned object is
// applied again (server-side apply, forced, under the controller's own field manager), unless
// - Flux Kustomization: the Kustomization is suspended, or the in-cluster object carries
//   kustomize.toolkit.fluxcd.io/reconcile: disabled;
// - Flux HelmRelease: spec.suspend is true;
// - Argo CD Application: spec.syncPolicy.automated.selfHeal is not true, or the Application carries
//   argocd.argoproj.io/skip-reconcile: "true".
// A requested reconcile (Flux requestedAt, Argo CD refresh) is acknowledged as the tools do.
// The CRDs are minimal (group, kinds, versions and an open schema), written here.
import { type KubeClient, isNotFound } from '../../src/kube/client.ts';
import { createRestMapper } from '../../src/kube/discovery.ts';
import type { KubeObject } from '../../src/kube/types.ts';

const crd = (group: string, kind: string, plural: string, versions: string[]) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
    versions: versions.map((name, i) => ({
      name,
      served: true,
      storage: i === 0,
      schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      subresources: { status: {} },
    })),
  },
});

export const GITOPS_CRDS = [
  crd('kustomize.toolkit.fluxcd.io', 'Kustomization', 'kustomizations', ['v1']),
  crd('helm.toolkit.fluxcd.io', 'HelmRelease', 'helmreleases', ['v2']),
  crd('argoproj.io', 'Application', 'applications', ['v1alpha1']),
];

export interface OwnedSet {
  owner: { kind: 'Kustomization' | 'HelmRelease' | 'Application'; namespace: string; name: string };
  /** Git's version of each object the owner keeps in sync */
  objects: KubeObject[];
}

const OWNER_API: Record<OwnedSet['owner']['kind'], { path: string; manager: string }> = {
  Kustomization: { path: '/apis/kustomize.toolkit.fluxcd.io/v1', manager: 'kustomize-controller' },
  HelmRelease: { path: '/apis/helm.toolkit.fluxcd.io/v2', manager: 'helm-controller' },
  Application: { path: '/apis/argoproj.io/v1alpha1', manager: 'argocd-controller' },
};

const plural = (kind: string) => `${kind.toLowerCase()}s`;

export interface TestController {
  /** objects reverted to Git's state so far, as "kind/name" (one entry per correction) */
  readonly corrections: string[];
  /** reconcile requests seen (Flux requestedAt, Argo CD refresh) */
  readonly requests: string[];
  /** one reconcile of every owner now */
  reconcile(): Promise<void>;
  stop(): Promise<void>;
}

export function startTestController(client: KubeClient, sets: OwnedSet[], intervalMs = 500): TestController {
  const mapper = createRestMapper(client);
  const corrections: string[] = [];
  const requests: string[] = [];
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  async function objectPath(obj: KubeObject): Promise<string> {
    const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
    const r = await mapper.resolve({ group: group!, version: version!, kind: obj.kind });
    return mapper.path(r, obj.metadata.namespace, obj.metadata.name);
  }

  async function reconcileSet(set: OwnedSet): Promise<void> {
    const api = OWNER_API[set.owner.kind];
    const ownerPath = `${api.path}/namespaces/${set.owner.namespace}/${plural(set.owner.kind)}/${set.owner.name}`;
    let owner: KubeObject;
    try {
      owner = await client.request<KubeObject>({ path: ownerPath });
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    const annotations = owner.metadata.annotations ?? {};
    for (const key of ['reconcile.fluxcd.io/requestedAt', 'argocd.argoproj.io/refresh']) {
      if (!annotations[key]) continue;
      const seen = `${set.owner.kind}/${set.owner.name} ${key}=${annotations[key]}`;
      if (!requests.includes(seen)) requests.push(seen);
      if (key === 'argocd.argoproj.io/refresh') {
        // Argo CD removes the refresh annotation once it has refreshed
        await client.request({
          method: 'PATCH',
          path: ownerPath,
          contentType: 'application/json-patch+json',
          body: [{ op: 'remove', path: '/metadata/annotations/argocd.argoproj.io~1refresh' }],
        });
      }
    }
    if (set.owner.kind === 'Kustomization' && owner.spec?.suspend === true) return;
    if (set.owner.kind === 'HelmRelease' && owner.spec?.suspend === true) return;
    if (set.owner.kind === 'Application') {
      if (annotations['argocd.argoproj.io/skip-reconcile'] === 'true') return;
      if (owner.spec?.syncPolicy?.automated?.selfHeal !== true) return;
    }
    for (const want of set.objects) {
      const path = await objectPath(want);
      let live: KubeObject | undefined;
      try {
        live = await client.request<KubeObject>({ path });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      if (
        set.owner.kind === 'Kustomization' &&
        live?.metadata.annotations?.['kustomize.toolkit.fluxcd.io/reconcile'] === 'disabled'
      )
        continue;
      const drifted = !live || !contains(live, want);
      if (!drifted) continue;
      await client.request({
        method: 'PATCH',
        path,
        query: { fieldManager: api.manager, force: true },
        contentType: 'application/apply-patch+yaml',
        body: want,
      });
      corrections.push(`${want.kind}/${want.metadata.name}`);
    }
  }

  async function reconcile(): Promise<void> {
    for (const set of sets) await reconcileSet(set);
  }

  const timer = setInterval(() => {
    if (stopped) return;
    running = running.then(reconcile).catch(() => {});
  }, intervalMs);

  return {
    corrections,
    requests,
    reconcile: () => {
      running = running.then(reconcile);
      return running;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running.catch(() => {});
    },
  };
}

/** True when every field Git sets has Git's value in the live object (drift = a difference). */
function contains(live: unknown, want: unknown): boolean {
  if (Array.isArray(want)) {
    if (!Array.isArray(live) || live.length !== want.length) return false;
    return want.every((w, i) => contains(live[i], w));
  }
  if (want && typeof want === 'object') {
    if (!live || typeof live !== 'object') return false;
    return Object.entries(want).every(([k, v]) => contains((live as Record<string, unknown>)[k], v));
  }
  return live === want;
}
