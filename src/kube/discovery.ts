// Which URL serves a kind: the RESTMapper, built from the server's discovery documents
// (/api + /apis, aggregated v2 when the server has it, else the legacy per-group-version lists),
// so any kind the server knows — custom resources included — can be applied, watched and deleted.
import { KloopError } from '../errors.ts';
import type { KubeClient } from './client.ts';
import type { ObjectRef } from './types.ts';

export interface Resource {
  group: string;
  version: string;
  kind: string;
  /** plural, as in the URL */
  resource: string;
  namespaced: boolean;
}

interface AggregatedList {
  kind?: string;
  items?: Array<{
    metadata?: { name?: string };
    versions?: Array<{
      version: string;
      resources?: Array<{ resource: string; responseKind?: { kind?: string }; scope?: string }>;
    }>;
  }>;
}

interface ResourceList {
  groupVersion?: string;
  resources?: Array<{ name: string; kind: string; namespaced: boolean }>;
}

const AGGREGATED =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

export interface RestMapper {
  /** The resource serving group/version/kind; refreshes discovery once on a miss (a CRD just created). */
  resolve(ref: Pick<ObjectRef, 'group' | 'version' | 'kind'>): Promise<Resource>;
  /** URL path of one object, or of the collection when name is omitted. */
  path(resource: Resource, namespace: string | undefined, name?: string): string;
  refresh(): Promise<void>;
  /** Every resource the server serves (one entry per group/version/kind). */
  all(): Promise<Resource[]>;
}

function key(group: string, version: string, kind: string): string {
  return `${group}/${version}/${kind}`;
}

async function aggregated(client: KubeClient, path: string, into: Map<string, Resource>): Promise<boolean> {
  const doc = await client.request<AggregatedList>({ path, accept: AGGREGATED });
  if (doc?.kind !== 'APIGroupDiscoveryList') return false;
  for (const group of doc.items ?? []) {
    const g = group.metadata?.name ?? '';
    for (const v of group.versions ?? []) {
      for (const r of v.resources ?? []) {
        const kind = r.responseKind?.kind;
        if (!kind || r.resource.includes('/')) continue;
        into.set(key(g, v.version, kind), {
          group: g,
          version: v.version,
          kind,
          resource: r.resource,
          namespaced: r.scope === 'Namespaced',
        });
      }
    }
  }
  return true;
}

async function legacy(client: KubeClient, into: Map<string, Resource>): Promise<void> {
  const groupVersions = ['v1'];
  const groups = await client.request<{ groups?: Array<{ versions?: Array<{ groupVersion: string }> }> }>({
    path: '/apis',
  });
  for (const g of groups.groups ?? []) for (const v of g.versions ?? []) groupVersions.push(v.groupVersion);
  await Promise.all(
    groupVersions.map(async (gv) => {
      const list = await client.request<ResourceList>({ path: gv === 'v1' ? '/api/v1' : `/apis/${gv}` });
      const slash = gv.indexOf('/');
      const group = slash < 0 ? '' : gv.slice(0, slash);
      const version = slash < 0 ? gv : gv.slice(slash + 1);
      for (const r of list.resources ?? []) {
        if (r.name.includes('/')) continue;
        into.set(key(group, version, r.kind), {
          group,
          version,
          kind: r.kind,
          resource: r.name,
          namespaced: r.namespaced,
        });
      }
    }),
  );
}

export function createRestMapper(client: KubeClient): RestMapper {
  let known: Map<string, Resource> | undefined;
  let loading: Promise<void> | undefined;

  async function load(): Promise<void> {
    const next = new Map<string, Resource>();
    const both = await Promise.all([aggregated(client, '/api', next), aggregated(client, '/apis', next)]);
    if (!both.every(Boolean)) await legacy(client, next);
    known = next;
  }

  function refresh(): Promise<void> {
    loading ??= load().finally(() => {
      loading = undefined;
    });
    return loading;
  }

  return {
    refresh,
    async all() {
      if (!known) await refresh();
      return [...known!.values()];
    },
    async resolve(ref) {
      if (!known) await refresh();
      let found = known!.get(key(ref.group, ref.version, ref.kind));
      if (!found) {
        await refresh();
        found = known!.get(key(ref.group, ref.version, ref.kind));
      }
      if (!found) {
        const apiVersion = ref.group ? `${ref.group}/${ref.version}` : ref.version;
        throw new KloopError(`the cluster does not serve kind ${ref.kind} in ${apiVersion}`, {
          hint: 'is its CustomResourceDefinition installed, or is the apiVersion right for this Kubernetes version?',
        });
      }
      return found;
    },
    path(resource, namespace, name) {
      const prefix = resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`;
      const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
      return `${prefix}${ns}/${resource.resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
    },
  };
}
