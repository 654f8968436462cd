// /version, aggregated (apidiscovery.k8s.io/v2) and legacy discovery, and the minimal OpenAPI v3
// that makes kubectl and helm trust server-side field validation instead of downloading schemas.
import { createHash } from 'node:crypto';
import { schemasFor } from './openapi.ts';
import type { Registry, ResourceInfo } from './resources.ts';

export const AGGREGATED_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export const versionInfo = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0',
  gitCommit: '70d3cc986aa8221cd1dfb1121852688902d3bf53',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function subresourcesOf(
  info: ResourceInfo,
): Array<{ name: string; kind: string; group: string; version: string; verbs: string[] }> {
  const out = [];
  const rw = ['get', 'patch', 'update'];
  if (info.status) out.push({ name: 'status', kind: info.kind, group: info.group, version: info.version, verbs: rw });
  if (info.scale) out.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: rw });
  if (info.group === '' && info.resource === 'serviceaccounts') {
    out.push({ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] });
  }
  if (info.group === '' && info.resource === 'pods') {
    out.push({ name: 'log', kind: 'Pod', group: '', version: 'v1', verbs: ['get'] });
    out.push({ name: 'ephemeralcontainers', kind: 'Pod', group: '', version: 'v1', verbs: rw });
    for (const name of ['exec', 'attach', 'portforward']) {
      out.push({
        name,
        kind: `Pod${name === 'portforward' ? 'PortForwardOptions' : name === 'exec' ? 'ExecOptions' : 'AttachOptions'}`,
        group: '',
        version: 'v1',
        verbs: ['create', 'get'],
      });
    }
  }
  return out;
}

function groupDiscovery(registry: Registry, group: string) {
  const versions = registry
    .groups()
    .filter((g) => g.group === group)
    .map((g) => g.version);
  return {
    metadata: { name: group },
    versions: versions.map((version) => ({
      version,
      freshness: 'Current',
      resources: registry
        .all()
        .filter((i) => i.group === group && i.version === version)
        .map((info) => ({
          resource: info.resource,
          responseKind: { group: info.group, version: info.version, kind: info.kind },
          scope: info.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: info.singular,
          verbs: info.review ? ['create'] : verbs,
          ...(info.shortNames?.length ? { shortNames: info.shortNames } : {}),
          ...(info.categories?.length ? { categories: info.categories } : {}),
          subresources: subresourcesOf(info).map((s) => ({
            subresource: s.name,
            responseKind: { group: s.group, version: s.version, kind: s.kind },
            verbs: s.verbs,
          })),
        })),
    })),
  };
}

export function aggregatedCore(registry: Registry) {
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: [groupDiscovery(registry, '')],
  };
}

export function aggregatedGroups(registry: Registry) {
  const groups = [...new Set(registry.groups().map((g) => g.group))].filter((g) => g !== '');
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((g) => groupDiscovery(registry, g)),
  };
}

export function legacyApiVersions(address: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: address }],
  };
}

export function legacyGroupList(registry: Registry) {
  const byGroup = new Map<string, string[]>();
  for (const g of registry.groups()) if (g.group) byGroup.set(g.group, [...(byGroup.get(g.group) ?? []), g.version]);
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...byGroup].map(([name, vs]) => ({
      name,
      versions: vs.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${name}/${vs[0]}`, version: vs[0] },
    })),
  };
}

export function legacyGroup(registry: Registry, group: string) {
  const list = legacyGroupList(registry).groups.find((g) => g.name === group);
  return list ? { kind: 'APIGroup', apiVersion: 'v1', ...list } : undefined;
}

export function resourceList(registry: Registry, group: string, version: string) {
  const infos = registry.all().filter((i) => i.group === group && i.version === version);
  if (infos.length === 0) return undefined;
  const resources = [];
  for (const info of infos) {
    resources.push({
      name: info.resource,
      singularName: info.singular,
      namespaced: info.namespaced,
      kind: info.kind,
      verbs: info.review ? ['create'] : verbs,
      ...(info.shortNames?.length ? { shortNames: info.shortNames } : {}),
      ...(info.categories?.length ? { categories: info.categories } : {}),
    });
    for (const s of subresourcesOf(info)) {
      resources.push({
        name: `${info.resource}/${s.name}`,
        singularName: '',
        namespaced: info.namespaced,
        ...(s.group !== info.group || s.version !== info.version ? { group: s.group, version: s.version } : {}),
        kind: s.kind,
        verbs: s.verbs,
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/**
 * The per group-version document: a PATCH operation per kind that declares fieldValidation (so
 * kubectl and helm leave validation to the server), and the kinds' schemas.
 */
export function openapiGroupVersion(registry: Registry, group: string, version: string, withSchemas = true) {
  const infos = registry.all().filter((i) => i.group === group && i.version === version);
  if (infos.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const info of infos) {
    const base = `/${gvPath(group, version)}${info.namespaced ? '/namespaces/{namespace}' : ''}/${info.resource}/{name}`;
    paths[base] = {
      patch: {
        'x-kubernetes-group-version-kind': { group, version, kind: info.kind },
        parameters: [
          { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
        ],
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: versionInfo.gitVersion },
    paths,
    // built-in schemas are fixed for a build: only custom resources' schemas change the hash
    components: {
      schemas: withSchemas
        ? schemasFor(group, version, infos)
        : infos.filter((i) => i.custom).map((i) => i.schema ?? {}),
    },
  };
}

export function openapiRoot(registry: Registry) {
  const paths: Record<string, unknown> = {};
  for (const g of registry.groups()) {
    const doc = openapiGroupVersion(registry, g.group, g.version, false);
    const hash = createHash('sha256').update(JSON.stringify(doc)).digest('hex').slice(0, 32).toUpperCase();
    paths[gvPath(g.group, g.version)] = { serverRelativeURL: `/openapi/v3/${gvPath(g.group, g.version)}?hash=${hash}` };
  }
  return { paths };
}
