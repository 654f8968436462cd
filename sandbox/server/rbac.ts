// Who is asking, and RBAC for everyone but the administrator. The sandbox's own kubeconfig token
// is the cluster admin (system:masters, allowed everything, as a kind or kubeadm admin). A
// ServiceAccount token (`kubectl create token`) is `system:serviceaccount:<ns>:<name>` and gets
// what Roles/ClusterRoles bound to it (or to its groups) allow, and a 403 in kube-apiserver's
// words otherwise: `pods is forbidden: User "system:serviceaccount:dev:ci" cannot list resource
// "pods" in API group "" in the namespace "dev"`. The bootstrap ClusterRole `cluster-admin`
// exists; the aggregated admin/edit/view roles do not (binding them grants nothing).
import type { IncomingMessage } from 'node:http';
import type { KubeObject } from '../contract.ts';
import type { MemoryStore } from '../store/store.ts';
import { ApiError, qualifiedResource } from './errors.ts';

export interface Identity {
  username: string;
  groups: string[];
  /** system:masters: RBAC is not consulted */
  admin: boolean;
}

export const ADMIN: Identity = {
  username: 'kloop-sandbox-admin',
  groups: ['system:masters', 'system:authenticated'],
  admin: true,
};

/** The identity in a ServiceAccount token's `sub` claim (the token's signature is checked elsewhere). */
export function serviceAccountIdentity(token: string): Identity | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      sub?: string;
    };
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(claims.sub ?? '');
    if (!m) return undefined;
    return {
      username: claims.sub!,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${m[1]}`, 'system:authenticated'],
      admin: false,
    };
  } catch {
    return undefined;
  }
}

const identities = new WeakMap<IncomingMessage, Identity>();
/** Who sent this request (set when it was authenticated). */
export function identityOf(req: IncomingMessage): Identity {
  return identities.get(req) ?? ADMIN;
}
export function setIdentity(req: IncomingMessage, id: Identity): void {
  identities.set(req, id);
}

export interface Attributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** The RBAC verb of a request, as the apiserver's RequestInfo resolves it. */
export function verbOf(req: IncomingMessage, query: URLSearchParams, named: boolean): string {
  switch (req.method) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      if (query.get('watch') === 'true' || query.get('watch') === '1') return 'watch';
      return named ? 'get' : 'list';
  }
}

interface Rule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}
interface Binding {
  subjects?: Array<{ kind?: string; name?: string; namespace?: string }>;
  roleRef?: { kind?: string; name?: string };
}

const ROLES = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles' };
const CLUSTER_ROLES = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' };
const ROLE_BINDINGS = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings' };
const CLUSTER_ROLE_BINDINGS = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings' };

/** Bootstrap ClusterRoles a cluster has from the start. */
const BOOTSTRAP: Record<string, Rule[]> = {
  'cluster-admin': [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
};

function binds(binding: Binding, id: Identity, bindingNamespace?: string): boolean {
  return (binding.subjects ?? []).some((s) => {
    if (s.kind === 'ServiceAccount') {
      return id.username === `system:serviceaccount:${s.namespace ?? bindingNamespace}:${s.name}`;
    }
    if (s.kind === 'User') return s.name === id.username;
    if (s.kind === 'Group') return id.groups.includes(s.name ?? '');
    return false;
  });
}

function clusterRoleRules(store: MemoryStore, name: string): Rule[] {
  const role = store.get(CLUSTER_ROLES, undefined, name) as { rules?: Rule[] } | undefined;
  return role?.rules ?? BOOTSTRAP[name] ?? [];
}

/** system:basic-user, bound to system:authenticated on every cluster: asking about oneself. */
const BASIC_USER: Rule[] = [
  {
    verbs: ['create'],
    apiGroups: ['authorization.k8s.io'],
    resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
  },
  { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
];

/** Every rule that applies to `id` in `namespace` (cluster-wide ones included). */
export function rulesFor(store: MemoryStore, id: Identity, namespace?: string): Rule[] {
  const rules: Rule[] = id.groups.includes('system:authenticated') ? [...BASIC_USER] : [];
  for (const b of store.list(CLUSTER_ROLE_BINDINGS, undefined) as unknown as Binding[]) {
    if (binds(b, id) && b.roleRef?.kind === 'ClusterRole') rules.push(...clusterRoleRules(store, b.roleRef.name ?? ''));
  }
  if (namespace) {
    for (const b of store.list(ROLE_BINDINGS, namespace) as unknown as Binding[]) {
      if (!binds(b, id, namespace)) continue;
      if (b.roleRef?.kind === 'ClusterRole') rules.push(...clusterRoleRules(store, b.roleRef.name ?? ''));
      else if (b.roleRef?.kind === 'Role') {
        const role = store.get(ROLES, namespace, b.roleRef.name ?? '') as { rules?: Rule[] } | undefined;
        rules.push(...(role?.rules ?? []));
      }
    }
  }
  return rules;
}

function matches(rule: Rule, a: Attributes): boolean {
  const has = (list: string[] | undefined, value: string) => !!list?.some((v) => v === '*' || v === value);
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  if (!has(rule.verbs, a.verb) || !has(rule.apiGroups, a.group)) return false;
  if (!rule.resources?.some((r) => r === '*' || r === resource || (a.subresource && r === `*/${a.subresource}`)))
    return false;
  return !rule.resourceNames?.length || (a.name !== undefined && rule.resourceNames.includes(a.name));
}

export function allowed(store: MemoryStore, id: Identity, a: Attributes): boolean {
  return id.admin || rulesFor(store, id, a.namespace).some((r) => matches(r, a));
}

/** kube-apiserver's 403 for a resource request. */
export function forbidden(id: Identity, a: Attributes): ApiError {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  const qualified = qualifiedResource(a.group, a.resource);
  const subject = a.name ? `${qualified} "${a.name}"` : qualified;
  return new ApiError(
    403,
    'Forbidden',
    `${subject} is forbidden: User "${id.username}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${scope}`,
    { name: a.name, kind: a.resource, group: a.group || undefined },
  );
}

/** SelfSubjectAccessReview / SubjectAccessReview / SelfSubjectRulesReview / SelfSubjectReview answers. */
export function review(store: MemoryStore, id: Identity, body: KubeObject): KubeObject {
  const spec = (body.spec ?? {}) as {
    resourceAttributes?: Partial<Attributes>;
    nonResourceAttributes?: unknown;
    namespace?: string;
    user?: string;
    groups?: string[];
  };
  let status: unknown;
  if (body.kind === 'SelfSubjectReview') {
    status = { userInfo: { username: id.username, groups: id.groups } };
  } else if (body.kind === 'SelfSubjectRulesReview') {
    const rules = id.admin
      ? [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]
      : rulesFor(store, id, spec.namespace);
    status = {
      resourceRules: rules,
      nonResourceRules: id.admin ? [{ verbs: ['*'], nonResourceURLs: ['*'] }] : [],
      incomplete: false,
    };
  } else {
    const who =
      body.kind === 'SubjectAccessReview'
        ? {
            username: spec.user ?? '',
            groups: spec.groups ?? [],
            admin: (spec.groups ?? []).includes('system:masters'),
          }
        : id;
    const r = spec.resourceAttributes;
    const ok = r
      ? allowed(store, who, {
          verb: r.verb ?? '',
          group: r.group ?? '',
          resource: r.resource ?? '',
          subresource: r.subresource || undefined,
          namespace: r.namespace || undefined,
          name: r.name || undefined,
        })
      : who.admin || !!spec.nonResourceAttributes;
    status = ok
      ? { allowed: true, reason: who.admin ? 'the sandbox administrator may do everything' : 'allowed by RBAC' }
      : { allowed: false };
  }
  return { ...body, metadata: { ...(body.metadata ?? {}), creationTimestamp: null }, status } as unknown as KubeObject;
}
