// The resource types the sandbox serves: built-in kinds plus the custom resources of stored CRDs.
import type { KubeObject, ResourceType } from '../contract.ts';

export interface ResourceInfo extends ResourceType {
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** subresources served besides the object itself */
  status?: boolean;
  scale?: boolean;
  /** custom resources: printer columns from the CRD, and whether the kind came from a CRD */
  printerColumns?: Array<{ name: string; type: string; jsonPath: string; description?: string; priority?: number }>;
  custom?: boolean;
  /** custom resources: the version's openAPIV3Schema (OpenAPI documents, kubectl explain) */
  schema?: object;
  /** create-only reviews answered at once and never stored (access reviews, whoami) */
  review?: boolean;
}

const all = ['all'];
const builtins: ResourceInfo[] = [
  core('namespaces', 'Namespace', false, { shortNames: ['ns'], status: true }),
  core('pods', 'Pod', true, { shortNames: ['po'], categories: all, status: true }),
  core('services', 'Service', true, { shortNames: ['svc'], categories: all, status: true }),
  core('endpoints', 'Endpoints', true, { shortNames: ['ep'], singular: 'endpoints' }),
  core('configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  core('secrets', 'Secret', true, {}),
  core('serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
  core('events', 'Event', true, { shortNames: ['ev'] }),
  core('persistentvolumeclaims', 'PersistentVolumeClaim', true, { shortNames: ['pvc'], status: true }),
  core('persistentvolumes', 'PersistentVolume', false, { shortNames: ['pv'], status: true }),
  core('nodes', 'Node', false, { shortNames: ['no'], status: true }),
  core('resourcequotas', 'ResourceQuota', true, { shortNames: ['quota'], status: true }),
  core('limitranges', 'LimitRange', true, { shortNames: ['limits'] }),
  core('replicationcontrollers', 'ReplicationController', true, { shortNames: ['rc'], status: true, scale: true }),
  apps('deployments', 'Deployment', { shortNames: ['deploy'] }),
  apps('replicasets', 'ReplicaSet', { shortNames: ['rs'] }),
  apps('statefulsets', 'StatefulSet', { shortNames: ['sts'] }),
  apps('daemonsets', 'DaemonSet', { shortNames: ['ds'], scale: false }),
  res('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true, {}),
  res('batch', 'v1', 'jobs', 'Job', true, { categories: all, status: true }),
  res('batch', 'v1', 'cronjobs', 'CronJob', true, { shortNames: ['cj'], categories: all, status: true }),
  // v2 first: the preferred version, as in Kubernetes 1.32 discovery; v1 is what `kubectl autoscale` writes
  res('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, {
    shortNames: ['hpa'],
    categories: all,
    status: true,
  }),
  res('autoscaling', 'v1', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, {
    shortNames: ['hpa'],
    categories: all,
    status: true,
  }),
  res('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, { shortNames: ['pdb'], status: true }),
  res('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, { shortNames: ['ing'], status: true }),
  res('networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', false, {}),
  res('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, { shortNames: ['netpol'] }),
  res('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true, {}),
  res('events.k8s.io', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  res('coordination.k8s.io', 'v1', 'leases', 'Lease', true, {}),
  res('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false, { shortNames: ['sc'] }),
  res('scheduling.k8s.io', 'v1', 'priorityclasses', 'PriorityClass', false, { shortNames: ['pc'] }),
  res('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true, {}),
  res('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true, {}),
  res('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false, {}),
  res('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false, {}),
  res('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, { review: true }),
  res('authorization.k8s.io', 'v1', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false, { review: true }),
  res('authorization.k8s.io', 'v1', 'subjectaccessreviews', 'SubjectAccessReview', false, { review: true }),
  res('authentication.k8s.io', 'v1', 'selfsubjectreviews', 'SelfSubjectReview', false, { review: true }),
  res('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, {
    shortNames: ['crd', 'crds'],
    status: true,
  }),
];

function res(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<ResourceInfo>,
): ResourceInfo {
  return { group, version, resource, kind, namespaced, singular: kind.toLowerCase(), ...extra };
}
function core(resource: string, kind: string, namespaced: boolean, extra: Partial<ResourceInfo>): ResourceInfo {
  return res('', 'v1', resource, kind, namespaced, extra);
}
function apps(resource: string, kind: string, extra: Partial<ResourceInfo>): ResourceInfo {
  return res('apps', 'v1', resource, kind, true, { categories: all, status: true, scale: true, ...extra });
}

export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** A key that names a resource independent of version: "apps/deployments". */
export function typeKey(type: { group: string; resource: string }): string {
  return `${type.group}/${type.resource}`;
}

export class Registry {
  private byKey = new Map<string, ResourceInfo>();
  constructor() {
    for (const info of builtins) this.add(info);
  }
  private add(info: ResourceInfo): void {
    this.byKey.set(`${info.group}/${info.version}/${info.resource}`, info);
  }
  find(group: string, version: string, resource: string): ResourceInfo | undefined {
    return this.byKey.get(`${group}/${version}/${resource}`);
  }
  /** The served resource of a kind in a group, any version (for ownerReferences and apply). */
  byKind(apiVersion: string, kind: string): ResourceInfo | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    for (const info of this.byKey.values()) {
      if (info.group === group && info.version === version && info.kind === kind) return info;
    }
    return undefined;
  }
  all(): ResourceInfo[] {
    return [...this.byKey.values()];
  }
  groups(): Array<{ group: string; version: string }> {
    const seen = new Map<string, { group: string; version: string }>();
    for (const info of this.byKey.values()) seen.set(`${info.group}/${info.version}`, info);
    return [...seen.values()];
  }
  /** Registers (or refreshes) the resources a CRD defines; served versions only. */
  syncCrd(crd: KubeObject): void {
    this.removeCrd(crd);
    const spec = crd.spec as {
      group: string;
      names: { plural: string; singular?: string; kind: string; shortNames?: string[]; categories?: string[] };
      scope: string;
      versions: Array<{
        name: string;
        served: boolean;
        subresources?: { status?: object; scale?: object };
        additionalPrinterColumns?: ResourceInfo['printerColumns'];
        schema?: { openAPIV3Schema?: object };
      }>;
    };
    for (const v of spec.versions ?? []) {
      if (!v.served) continue;
      this.add({
        group: spec.group,
        version: v.name,
        resource: spec.names.plural,
        kind: spec.names.kind,
        singular: spec.names.singular || spec.names.kind.toLowerCase(),
        namespaced: spec.scope === 'Namespaced',
        shortNames: spec.names.shortNames,
        categories: spec.names.categories,
        status: v.subresources?.status !== undefined,
        scale: v.subresources?.scale !== undefined,
        printerColumns: v.additionalPrinterColumns,
        custom: true,
        ...(v.schema?.openAPIV3Schema ? { schema: v.schema.openAPIV3Schema } : {}),
      });
    }
  }
  removeCrd(crd: KubeObject): void {
    const spec = crd.spec as { group: string; names: { plural: string } };
    for (const [key, info] of this.byKey) {
      if (info.custom && info.group === spec.group && info.resource === spec.names.plural) this.byKey.delete(key);
    }
  }
}
