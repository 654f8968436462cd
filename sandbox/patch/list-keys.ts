// How the built-in types merge their lists: the `patchMergeKey` / `listMapKeys` tags of k8s.io/api.
// Lists not named here are atomic (replaced whole); custom resources are atomic throughout.

export type ListKind = { type: 'map'; key: string } | { type: 'set' } | { type: 'atomic' };

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

export function listKind(field: string, items: unknown[], builtin: boolean): ListKind {
  if (!builtin) return { type: 'atomic' };
  if (field === 'finalizers') return { type: 'set' };
  if (field === 'ports') {
    const first = items.find((i) => i && typeof i === 'object') as Record<string, unknown> | undefined;
    if (first && 'containerPort' in first) return { type: 'map', key: 'containerPort' };
    if (first && 'port' in first) return { type: 'map', key: 'port' };
    return { type: 'atomic' };
  }
  const key = byName[field];
  if (key && key !== 'metadata') return { type: 'map', key };
  return { type: 'atomic' };
}
