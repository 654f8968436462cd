// What `kloop logs <name>` (and the MCP logs tool) read: a dev target, or every workload kloop
// deployed for an app; without a name every dev target, else every deployed workload.
import type { Project } from '../config/project.ts';
import { environmentName, LABEL_APP, LABEL_PROJECT } from '../deploy/labels.ts';
import { KloopError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import type { TargetSpec } from '../kube/pods.ts';
import type { KubeObject } from '../kube/types.ts';

const KINDS = [
  ['deployment', '/apis/apps/v1/namespaces/{ns}/deployments'],
  ['statefulset', '/apis/apps/v1/namespaces/{ns}/statefulsets'],
  ['daemonset', '/apis/apps/v1/namespaces/{ns}/daemonsets'],
] as const;

/** The workloads kloop deployed for an app, as log sources. */
async function appSources(client: KubeClient, project: Project, app: string): Promise<TargetSpec[]> {
  const namespace = project.apps[app]!.namespace;
  const selector = `${LABEL_PROJECT}=${project.name},${LABEL_APP}=${app}`;
  const out: TargetSpec[] = [];
  for (const [kind, path] of KINDS) {
    const list = await client.request<{ items: KubeObject[] }>({
      path: path.replace('{ns}', encodeURIComponent(namespace)),
      query: { labelSelector: selector },
    });
    for (const w of list.items) out.push({ name: w.metadata.name!, namespace, workload: `${kind}/${w.metadata.name}` });
  }
  if (out.length === 0) {
    throw new KloopError(
      `app "${app}" has no running workloads in namespace ${namespace} (environment ${environmentName(project)})`,
      {
        hint: 'deploy it first with kloop deploy or kloop dev',
      },
    );
  }
  return out;
}

export async function logSources(client: KubeClient, project: Project, name?: string): Promise<TargetSpec[]> {
  if (name && project.dev[name]) return [project.dev[name]];
  if (name && project.apps[name]) return appSources(client, project, name);
  if (name) {
    throw new KloopError(`"${name}" is neither a dev target nor an app in ${project.configFile}`, {
      hint: `dev targets: ${Object.keys(project.dev).join(', ') || '(none)'}; apps: ${Object.keys(project.apps).join(', ') || '(none)'}`,
    });
  }
  if (Object.keys(project.dev).length) return Object.values(project.dev);
  const all: TargetSpec[] = [];
  for (const app of Object.keys(project.apps)) all.push(...(await appSources(client, project, app).catch(() => [])));
  if (all.length === 0) throw new KloopError('nothing to show logs of: no dev targets and no deployed workloads');
  return all;
}
