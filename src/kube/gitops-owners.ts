// Objects that Flux or Argo CD keep in sync with Git: who owns an object kloop is about to change
// for a session (a dev patch, an intercept's Service), how to ask that controller to leave exactly
// that alone (narrowly, reversibly), and how to give it back. The pause is a cluster change like
// any other: the caller records the undo plan in the change journal before applying the change.
import { KloopError } from '../errors.ts';
import { ApiError, isNotFound, type KubeClient } from './client.ts';
import { createRestMapper, type RestMapper } from './discovery.ts';
import { annotationPath, type PatchOp } from './journal.ts';
import type { KubeObject } from './types.ts';

export type PauseMode = 'auto' | 'never' | 'ask';
/** Argo CD: turn self-heal off on the Application, or set its skip-reconcile annotation */
export type ArgoPause = 'selfHeal' | 'skipReconcile';

export interface GitopsSettings {
  pause: PauseMode;
  /** where Argo CD's Applications live; default argocd */
  argocdNamespace: string;
  argocdPause: ArgoPause;
}

export const DEFAULT_GITOPS: GitopsSettings = { pause: 'auto', argocdNamespace: 'argocd', argocdPause: 'selfHeal' };

/** A dev target's `gitops:` settings with the defaults, and --gitops-pause over them. */
export function gitopsSettings(config: Partial<GitopsSettings> | undefined, mode?: PauseMode): GitopsSettings {
  return {
    pause: mode ?? config?.pause ?? DEFAULT_GITOPS.pause,
    argocdNamespace: config?.argocdNamespace ?? DEFAULT_GITOPS.argocdNamespace,
    argocdPause: config?.argocdPause ?? DEFAULT_GITOPS.argocdPause,
  };
}

export interface GitopsOwner {
  tool: 'Flux' | 'Argo CD';
  kind: 'Kustomization' | 'HelmRelease' | 'Application';
  group: string;
  namespace: string;
  name: string;
}

export const FLUX_KS_NAME = 'kustomize.toolkit.fluxcd.io/name';
export const FLUX_KS_NAMESPACE = 'kustomize.toolkit.fluxcd.io/namespace';
export const FLUX_HR_NAME = 'helm.toolkit.fluxcd.io/name';
export const FLUX_HR_NAMESPACE = 'helm.toolkit.fluxcd.io/namespace';
/** per object: Flux's kustomize-controller skips an in-cluster object that carries it */
export const FLUX_RECONCILE = 'kustomize.toolkit.fluxcd.io/reconcile';
export const FLUX_REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';
export const ARGO_TRACKING_ID = 'argocd.argoproj.io/tracking-id';
export const ARGO_INSTANCE = 'app.kubernetes.io/instance';
export const ARGO_SKIP_RECONCILE = 'argocd.argoproj.io/skip-reconcile';
export const ARGO_REFRESH = 'argocd.argoproj.io/refresh';

export function describeOwner(o: GitopsOwner): string {
  return `${o.tool} ${o.kind} ${o.namespace}/${o.name}`;
}

/**
 * The owner named by the object's own labels and annotations. The plain instance label is only a
 * candidate (Helm sets it too): `confirmOwner` checks that the Application exists.
 */
export function ownerCandidate(obj: KubeObject, argocdNamespace: string): (GitopsOwner & { guess?: true }) | undefined {
  const labels = obj.metadata?.labels ?? {};
  const annotations = obj.metadata?.annotations ?? {};
  const ks = labels[FLUX_KS_NAME];
  if (ks) {
    return {
      tool: 'Flux',
      kind: 'Kustomization',
      group: 'kustomize.toolkit.fluxcd.io',
      namespace: labels[FLUX_KS_NAMESPACE] ?? 'flux-system',
      name: ks,
    };
  }
  const hr = labels[FLUX_HR_NAME];
  if (hr) {
    return {
      tool: 'Flux',
      kind: 'HelmRelease',
      group: 'helm.toolkit.fluxcd.io',
      namespace: labels[FLUX_HR_NAMESPACE] ?? obj.metadata?.namespace ?? 'flux-system',
      name: hr,
    };
  }
  const tracking = annotations[ARGO_TRACKING_ID];
  if (tracking) {
    // <app>:<group>/<kind>:<namespace>/<name>; with Applications in any namespace <app> is <ns>_<name>
    const app = tracking.split(':')[0] ?? '';
    const us = app.indexOf('_');
    return {
      tool: 'Argo CD',
      kind: 'Application',
      group: 'argoproj.io',
      namespace: us > 0 ? app.slice(0, us) : argocdNamespace,
      name: us > 0 ? app.slice(us + 1) : app,
    };
  }
  const instance = labels[ARGO_INSTANCE];
  if (instance) {
    return {
      tool: 'Argo CD',
      kind: 'Application',
      group: 'argoproj.io',
      namespace: argocdNamespace,
      name: instance,
      guess: true,
    };
  }
  return undefined;
}

export interface OwnerHandle {
  owner: GitopsOwner;
  /** API path of the owner object (the Kustomization, HelmRelease or Application) */
  path: string;
  object: KubeObject;
}

async function ownerPath(mapper: RestMapper, owner: GitopsOwner): Promise<string | undefined> {
  const served = (await mapper.all()).filter((r) => r.group === owner.group && r.kind === owner.kind);
  const r = served[0];
  return r ? mapper.path(r, owner.namespace, owner.name) : undefined;
}

/** The owner of `obj`, looked up in the cluster; undefined when nothing reconciles it. */
export async function findOwner(
  client: KubeClient,
  obj: KubeObject,
  settings: GitopsSettings,
  mapper: RestMapper = createRestMapper(client),
): Promise<OwnerHandle | undefined> {
  const candidate = ownerCandidate(obj, settings.argocdNamespace);
  if (!candidate) return undefined;
  const { guess: _, ...owner } = candidate;
  const path = await ownerPath(mapper, owner);
  // labelled by a controller whose API the cluster does not serve: nothing reconciles it
  if (!path) return undefined;
  try {
    return { owner, path, object: await client.request<KubeObject>({ path }) };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

type Op = PatchOp;

export interface PauseChange {
  /** what the terminal and dashboard say */
  describe: string;
  /** the object changed, and the guarded ops that pause / give back */
  path: string;
  pause: Op[];
  undo: Op[];
  /** the whole release or application pauses, not just the patched object */
  wide: boolean;
}

/** Ops that set an annotation on an object, and those that put the previous state back. */
function annotationChange(obj: KubeObject, key: string, value: string): { pause: Op[]; undo: Op[] } | undefined {
  const annotations = obj.metadata?.annotations;
  const previous = annotations?.[key];
  if (previous === value) return undefined;
  const at = annotationPath(key);
  const pause: Op[] = annotations
    ? [{ op: previous === undefined ? 'add' : 'replace', path: at, value }]
    : [{ op: 'add', path: '/metadata/annotations', value: { [key]: value } }];
  const undo: Op[] = [
    { op: 'test', path: at, value },
    previous === undefined ? { op: 'remove', path: at } : { op: 'replace', path: at, value: previous },
  ];
  return { pause, undo };
}

/**
 * How to pause `handle`'s reconciliation of the object at `objectPath` (`object` as it is now);
 * undefined when the controller would not revert it anyway (no automated self-heal, already paused).
 */
export function pausePlan(
  handle: OwnerHandle,
  objectPath: string,
  object: KubeObject,
  settings: GitopsSettings,
): PauseChange | undefined {
  const { owner } = handle;
  const who = describeOwner(owner);
  if (owner.kind === 'Kustomization') {
    const change = annotationChange(object, FLUX_RECONCILE, 'disabled');
    if (!change) return undefined;
    const name = `${object.kind}/${object.metadata?.name}`;
    return {
      describe: `owned by ${who}: ${FLUX_RECONCILE}=disabled on ${name} for this session (the Kustomization keeps reconciling everything else)`,
      path: objectPath,
      ...change,
      wide: false,
    };
  }
  if (owner.kind === 'HelmRelease') {
    const previous = handle.object.spec?.suspend;
    if (previous === true) return undefined;
    return {
      describe: `owned by ${who}: the whole HelmRelease is suspended (spec.suspend: true) for this session`,
      path: handle.path,
      pause: [{ op: previous === undefined ? 'add' : 'replace', path: '/spec/suspend', value: true }],
      undo: [
        { op: 'test', path: '/spec/suspend', value: true },
        previous === undefined
          ? { op: 'remove', path: '/spec/suspend' }
          : { op: 'replace', path: '/spec/suspend', value: previous },
      ],
      wide: true,
    };
  }
  if (settings.argocdPause === 'skipReconcile') {
    const change = annotationChange(handle.object, ARGO_SKIP_RECONCILE, 'true');
    if (!change) return undefined;
    return {
      describe: `owned by ${who}: ${ARGO_SKIP_RECONCILE}=true on the Application for this session (it reconciles nothing meanwhile)`,
      path: handle.path,
      ...change,
      wide: true,
    };
  }
  const automated = handle.object.spec?.syncPolicy?.automated;
  // Without automated sync, or with it but no self-heal, Argo CD does not undo drift by itself.
  if (automated?.selfHeal !== true) return undefined;
  const at = '/spec/syncPolicy/automated/selfHeal';
  return {
    describe: `owned by ${who}: self-heal is off on the Application for this session (automated sync of new commits goes on)`,
    path: handle.path,
    pause: [
      { op: 'test', path: at, value: true },
      { op: 'replace', path: at, value: false },
    ],
    undo: [
      { op: 'test', path: at, value: false },
      { op: 'replace', path: at, value: true },
    ],
    wide: true,
  };
}

/** Ops that ask the owner to reconcile now (kloop dev/purge --resync). */
export function resyncOps(tool: GitopsOwner['tool'], owner: KubeObject, now = new Date()): Op[] {
  const annotations = owner.metadata?.annotations;
  const [key, value] = tool === 'Flux' ? [FLUX_REQUESTED_AT, now.toISOString()] : [ARGO_REFRESH, 'normal'];
  return annotations
    ? [{ op: annotations[key] === undefined ? 'add' : 'replace', path: annotationPath(key), value }]
    : [{ op: 'add', path: '/metadata/annotations', value: { [key]: value } }];
}

/**
 * Fails before anything changes when the user may not patch the object the pause changes
 * (SelfSubjectAccessReview, as `kubectl auth can-i` asks).
 */
export async function checkPausePermission(client: KubeClient, change: PauseChange): Promise<void> {
  const m = /^\/apis?\/(?:([^/]+)\/)?([^/]+)\/(?:namespaces\/([^/]+)\/)?([^/]+)\/([^/]+)$/.exec(change.path);
  const [group, , namespace, resource, name] = m
    ? [change.path.startsWith('/api/') ? '' : (m[1] ?? ''), m[2], m[3], m[4], m[5]]
    : ['', '', undefined, '', ''];
  let allowed = true;
  let reason = '';
  try {
    const review = await client.request<{ status?: { allowed?: boolean; reason?: string } }>({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { verb: 'patch', group, resource, namespace, name } },
      },
    });
    allowed = review.status?.allowed !== false;
    reason = review.status?.reason ?? '';
  } catch (error) {
    // a server without the review API answers the patch itself
    if (!(error instanceof ApiError) || (error.code !== 404 && error.code !== 405)) throw error;
  }
  if (!allowed) {
    const what = `${resource}${group ? `.${group}` : ''}`;
    throw new KloopError(
      `cannot pause GitOps reconciliation: you may not patch ${what} "${name}"${namespace ? ` in ${namespace}` : ''}`,
      {
        hint: `${reason ? `${reason}; ` : ''}ask for the RBAC verb "patch" on ${what}, or run with --gitops-pause never (the controller may revert the session's changes)`,
      },
    );
  }
}
