// A hook that runs in a container of the app's pods ({container: {app, workload, command}}), e.g. a
// database migration after deploy: the newest ready pod of the workload, exec'd over the API.
import type { Project } from '../config/project.ts';
import type { ContainerHook, HookName } from '../config/schema.ts';
import { createDialer, wsExec } from '../kube/streams.ts';
import { chooseContainer, choosePod, describeNoPod, podSelector, type TargetSpec } from '../kube/pods.ts';
import { KloopError } from '../errors.ts';
import { connect } from '../kube/client.ts';
import { resolveCredentials } from '../kube/credentials.ts';
import type { KubeObject } from '../kube/types.ts';
import { log } from '../log/logger.ts';

export function describeContainerHook(hook: ContainerHook): string {
  const c = hook.container;
  const command = typeof c.command === 'string' ? c.command : c.command.join(' ');
  return `${command} (in ${c.workload ?? 'app'} ${c.app}${c.container ? `/${c.container}` : ''})`;
}

export async function runContainerHook(project: Project, name: HookName, hook: ContainerHook): Promise<void> {
  const c = hook.container;
  const app = project.apps[c.app];
  if (!app)
    throw new KloopError(`hook ${name}: no app "${c.app}" in ${project.configFile}`, {
      location: { file: project.configFile },
      hint: `apps: ${Object.keys(project.apps).join(', ') || '(none)'}`,
    });
  const target: TargetSpec = {
    name: `hooks.${name}`,
    namespace: app.namespace,
    workload: c.workload,
    labelSelector: c.labelSelector,
    container: c.container,
  };
  const credentials = { context: project.cluster.context, env: project.vars.process };
  const client = await connect({ ...credentials, namespace: app.namespace });
  let pod: KubeObject;
  try {
    const selector = await podSelector(client, target);
    const pods = await client.request<{ items?: KubeObject[] }>({
      path: `/api/v1/namespaces/${encodeURIComponent(app.namespace)}/pods`,
      query: { labelSelector: selector },
    });
    const chosen = choosePod(target, pods.items ?? []);
    if (!chosen) throw describeNoPod(target, selector, pods.items ?? []);
    pod = chosen;
  } finally {
    client.close();
  }
  const container = chooseContainer(target, pod);
  const command = typeof c.command === 'string' ? ['sh', '-c', c.command] : [...c.command];
  const dialer = createDialer(await resolveCredentials(credentials));
  const proc = await wsExec(dialer, { namespace: app.namespace, pod: pod.metadata.name!, container }, command);
  proc.stdin.end();
  const tail: string[] = [];
  const show = (chunk: Buffer) => {
    const text = chunk.toString();
    log.prefixed(name, text);
    tail.push(...text.split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 10));
  };
  proc.stdout.on('data', show);
  proc.stderr.on('data', show);
  const exit = await proc.exited;
  if (exit.code !== 0) {
    const why =
      exit.code === null ? `did not finish: ${exit.reason ?? 'connection lost'}` : `exited with code ${exit.code}`;
    throw new KloopError(
      `hook ${name} failed in pod ${pod.metadata.name}/${container}: \`${command.join(' ')}\` ${why}`,
      {
        location: { file: project.configFile },
        details: tail.map((l) => `| ${l}`),
        hint: `fix the command under hooks.${name} in kloop.yaml; it runs in container ${container} of ${c.workload ?? c.app}`,
      },
    );
  }
}
