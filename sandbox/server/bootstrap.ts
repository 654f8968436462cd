// What a fresh cluster holds: the system namespaces, the node, and the `kubernetes` Service.
import type { MemoryStore } from '../store/store.ts';
import { versionInfo } from './discovery.ts';
import { NODE_NAME } from './admission.ts';

export function bootstrap(store: MemoryStore, port: number): void {
  const namespaces = { group: '', version: 'v1', resource: 'namespaces' };
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    if (!store.get(namespaces, undefined, name)) {
      store.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
  }
  const nodes = { group: '', version: 'v1', resource: 'nodes' };
  if (!store.get(nodes, undefined, NODE_NAME)) {
    const node = store.create(nodes, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: NODE_NAME,
        labels: {
          'kubernetes.io/hostname': NODE_NAME,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'node-role.kubernetes.io/control-plane': '',
        },
      },
      spec: {},
    });
    store.update(
      nodes,
      {
        ...node,
        status: {
          conditions: [
            { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
          ],
          nodeInfo: {
            kubeletVersion: versionInfo.gitVersion,
            operatingSystem: 'linux',
            architecture: 'amd64',
            containerRuntimeVersion: 'docker',
          },
          capacity: { cpu: '2', memory: '8Gi', pods: '110' },
          allocatable: { cpu: '2', memory: '8Gi', pods: '110' },
        },
      },
      { subresource: 'status' },
    );
  }
  const services = { group: '', version: 'v1', resource: 'services' };
  if (!store.get(services, 'default', 'kubernetes')) {
    store.create(services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { component: 'apiserver', provider: 'kubernetes' },
      },
      spec: { ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }] },
    });
  }
}
