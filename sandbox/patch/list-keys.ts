// How the built-in types merge their lists: the `patchMergeKey` / `listMapKeys` tags of k8s.io/api.
// Lists not named here are atomic (replaced whole); custom resources are atomic throughout.

export type ListKind = { type: 'map'; keys: string[] } | { type: 'set' } | { type: 'atomic' };

/** Key fields that have a default, which identifies an item that leaves them out. */
const keyDefaults: Record<string, unknown> = { protocol: 'TCP' };

/** The identity of a list item under its keys, as a JSON object (the `k:` of FieldsV1). */
export function itemKey(item: Record<string, unknown>, keys: string[]): string {
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, item[k] ?? keyDefaults[k]])));
}

const byName: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  imagePullSecrets: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  hostAliases: 'ip',
  ownerReferences: 'uid',
  conditions: 'type',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  volumeClaimTemplates: 'metadata',
};

/**
 * Strategic merge patch keys lists by the single `patchMergeKey`; server-side apply by the
 * `listMapKeys`, which add `protocol` to ports (so TCP and UDP on one port are two items).
 */
export function listKind(field: string, items: unknown[], builtin: boolean, apply = false): ListKind {
  if (!builtin) return { type: 'atomic' };
  if (field === 'finalizers') return { type: 'set' };
  if (field === 'ports') {
    const first = items.find((i) => i && typeof i === 'object') as Record<string, unknown> | undefined;
    const protocol = apply ? ['protocol'] : [];
    if (first && 'containerPort' in first) return { type: 'map', keys: ['containerPort', ...protocol] };
    if (first && 'port' in first) return { type: 'map', keys: ['port', ...protocol] };
    return { type: 'atomic' };
  }
  const key = byName[field];
  if (key && key !== 'metadata') return { type: 'map', keys: [key] };
  return { type: 'atomic' };
}
