// Rendered objects: parsing tool output, namespaces, a deterministic order and a stable YAML form.
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node } from 'yaml';
import { KloopError } from '../errors.ts';
import type { KubeObject } from './types.ts';
import { parseKubeDocuments, stringifyYaml } from './yaml.ts';

/**
 * Where an object was read: the file (or tool output, with the chart template helm names) and
 * line, and every unquoted scalar Kubernetes reads as a boolean, number or null, by JSON pointer,
 * so validation can say "line 12: unquoted yes is the boolean true" where the schema wants a string.
 */
export interface Origin {
  source: string;
  /** the chart template helm names in its output (`# Source:`); lines are then lines of helm's output */
  template?: string;
  line: number;
  scalars: Record<string, { line: number; text: string }>;
}

const origins = new WeakMap<object, Origin>();

export function originOf(o: KubeObject): Origin | undefined {
  return origins.get(o);
}

/** file:line, or the template and the line of the tool's output it is at */
export function at(origin: Origin, line = origin.line): string {
  return origin.template ? `${origin.template} (${origin.source}, output line ${line})` : `${origin.source}:${line}`;
}

export function setOrigin(o: KubeObject, origin: Origin | undefined): void {
  if (origin) origins.set(o, origin);
}

function plainScalars(node: unknown, at: string, lines: LineCounter, out: Origin['scalars']): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      plainScalars(pair.value, `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, lines, out);
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) plainScalars(item, `${at}/${i}`, lines, out);
  } else if (isScalar(node) && node.type === 'PLAIN' && typeof node.value !== 'string' && node.range) {
    out[at] = { line: lines.linePos(node.range[0]).line, text: String(node.source ?? node.value) };
  }
}

/** Parses a multi-document YAML stream into objects, read as Kubernetes reads YAML (1.1 scalars); `List` kinds are flattened, empty documents dropped. */
export function parseObjects(text: string, source: string): KubeObject[] {
  const out: KubeObject[] = [];
  const lines = new LineCounter();
  for (const doc of parseKubeDocuments(text, lines)) {
    if (doc.errors.length > 0) {
      const err = doc.errors[0]!;
      const line = err.linePos?.[0]?.line;
      throw new KloopError(`invalid YAML: ${err.message.split('\n')[0]}`, { location: { file: source, line } });
    }
    const data = doc.toJS({ maxAliasCount: 10000 }) as unknown;
    const line = lines.linePos(doc.contents?.range?.[0] ?? doc.range[0]).line;
    if (data === null || data === undefined) continue;
    if (!isMap(doc.contents) || typeof data !== 'object' || Array.isArray(data)) {
      throw new KloopError('a document is not a Kubernetes object (expected a mapping)', {
        location: { file: source, line },
      });
    }
    // helm marks each document with the template it came from
    const template = /^ ?Source: (.+)$/m.exec(`${doc.commentBefore ?? ''}\n${doc.contents?.commentBefore ?? ''}`)?.[1];
    const scalars: Origin['scalars'] = {};
    plainScalars(doc.contents as Node, '', lines, scalars);
    const obj = data as Record<string, unknown>;
    if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
      obj.items.forEach((item, i) => {
        const prefix = `/items/${i}`;
        const own = Object.fromEntries(
          Object.entries(scalars)
            .filter(([p]) => p.startsWith(`${prefix}/`))
            .map(([p, v]) => [p.slice(prefix.length), v]),
        );
        const o = checkObject(item, source, line);
        setOrigin(o, { source, template, line, scalars: own });
        out.push(o);
      });
      continue;
    }
    const o = checkObject(obj, source, line);
    setOrigin(o, { source, template, line, scalars });
    out.push(o);
  }
  return out;
}

function checkObject(value: unknown, file: string, line: number): KubeObject {
  const obj = value as Partial<KubeObject>;
  if (typeof obj?.apiVersion !== 'string' || typeof obj.kind !== 'string') {
    throw new KloopError('a document has no apiVersion or kind', { location: { file, line } });
  }
  if (typeof obj.metadata !== 'object' || obj.metadata === null) obj.metadata = {};
  return obj as KubeObject;
}

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Built-in cluster-scoped kinds, as group/Kind ('' is the core group). */
const clusterScoped = new Set([
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  '/ComponentStatus',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/MutatingAdmissionPolicy',
  'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/VolumeAttachment',
  'storage.k8s.io/VolumeAttributesClass',
  'scheduling.k8s.io/PriorityClass',
  'node.k8s.io/RuntimeClass',
  'networking.k8s.io/IngressClass',
  'networking.k8s.io/IPAddress',
  'networking.k8s.io/ServiceCIDR',
  'certificates.k8s.io/CertificateSigningRequest',
  'certificates.k8s.io/ClusterTrustBundle',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
  'policy/PodSecurityPolicy',
  'resource.k8s.io/DeviceClass',
  'resource.k8s.io/ResourceSlice',
  'storagemigration.k8s.io/StorageVersionMigration',
  'authentication.k8s.io/TokenReview',
  'authentication.k8s.io/SelfSubjectReview',
  'authorization.k8s.io/SubjectAccessReview',
  'authorization.k8s.io/SelfSubjectAccessReview',
  'authorization.k8s.io/SelfSubjectRulesReview',
]);

/** group/Kind of every cluster-scoped custom resource whose CRD is among the objects. */
export function clusterScopedCustomKinds(objects: readonly KubeObject[]): Set<string> {
  const kinds = new Set<string>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition' || groupOf(o.apiVersion) !== 'apiextensions.k8s.io') continue;
    const spec = o.spec as { group?: string; scope?: string; names?: { kind?: string } } | undefined;
    if (spec?.scope === 'Cluster' && spec.group && spec.names?.kind) kinds.add(`${spec.group}/${spec.names.kind}`);
  }
  return kinds;
}

export function isClusterScoped(o: KubeObject, customClusterKinds: ReadonlySet<string>): boolean {
  const key = `${groupOf(o.apiVersion)}/${o.kind}`;
  return clusterScoped.has(key) || customClusterKinds.has(key);
}

/**
 * Namespaced objects without a namespace get `namespace`; cluster-scoped ones never carry one
 * (a namespace a template put on them is removed, as the API server would ignore it).
 */
export function assignNamespaces(objects: KubeObject[], namespace: string, customClusterKinds: ReadonlySet<string>) {
  for (const o of objects) {
    if (isClusterScoped(o, customClusterKinds)) delete o.metadata.namespace;
    else if (!o.metadata.namespace) o.metadata.namespace = namespace;
  }
}

// Helm's install order (pkg/release/util/kind_sorter.go): what must exist first comes first.
const installOrder = [
  'PriorityClass',
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
];
const rank = new Map(installOrder.map((k, i) => [k, i]));

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts by namespace (cluster-scoped first), kind install order (unknown kinds last, by name), name, apiVersion. */
export function sortObjects(objects: KubeObject[]): KubeObject[] {
  return objects.sort(
    (a, b) =>
      compare(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
      (rank.get(a.kind) ?? installOrder.length) - (rank.get(b.kind) ?? installOrder.length) ||
      compare(a.kind, b.kind) ||
      compare(a.metadata.name ?? '', b.metadata.name ?? '') ||
      compare(a.apiVersion, b.apiVersion),
  );
}

/** kind/namespace/name, as messages name an object. */
export function describe(o: KubeObject): string {
  return [o.kind, o.metadata.namespace, o.metadata.name ?? '(no name)'].filter(Boolean).join('/');
}

/** apiVersion, kind and metadata first; the rest keeps the order the template wrote. */
function canonical(o: KubeObject): Record<string, unknown> {
  const { apiVersion, kind, metadata, ...rest } = o;
  const { name, namespace, ...more } = metadata;
  return { apiVersion, kind, metadata: { name, namespace, ...more }, ...rest };
}

/** One stable multi-document YAML stream that YAML 1.1 and 1.2 readers read the same way. */
export function toYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringifyYaml(canonical(o))).join('---\n');
}
