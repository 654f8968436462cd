// What `helm install` renders for: the cluster's own version and API list (.Capabilities.KubeVersion
// and .Capabilities.APIVersions: every group/version and group/version/Kind discovery reports).
// A deploy renders with these, so a chart that asks `.Capabilities.APIVersions.Has
// "monitoring.coreos.com/v1/ServiceMonitor"` gives what helm would give against the same cluster;
// `kloop render` and promote have no cluster and use the environment's configured values.
import type { KubeClient } from './client.ts';
import type { RestMapper } from './discovery.ts';

export interface ClusterCapabilities {
  /** the server's gitVersion, e.g. v1.32.3 or v1.30.4-eks-a737599 */
  kubeVersion: string;
  /** group/version and group/version/Kind (core: v1, v1/Pod), sorted */
  apiVersions: string[];
}

export interface ServerVersion {
  gitVersion?: string;
  major?: string;
  minor?: string;
}

/** v1.32.3 from /version (major/minor when a distribution leaves gitVersion out). */
export function kubeVersionOf(info: ServerVersion): string {
  if (info.gitVersion) return info.gitVersion;
  return info.major && info.minor ? `v${info.major}.${info.minor.replace(/\D+$/, '')}.0` : '';
}

export async function clusterCapabilities(
  client: KubeClient,
  mapper: RestMapper,
  known?: ServerVersion,
): Promise<ClusterCapabilities> {
  const [info, resources] = await Promise.all([
    known ?? client.request<ServerVersion>({ path: '/version' }),
    mapper.all(),
  ]);
  const versions = new Set<string>();
  for (const r of resources) {
    const gv = r.group ? `${r.group}/${r.version}` : r.version;
    versions.add(gv);
    versions.add(`${gv}/${r.kind}`);
  }
  return { kubeVersion: kubeVersionOf(info), apiVersions: [...versions].sort() };
}
