// Hooks from kloop.yaml (beforeBuild, afterDeploy, ...): each command runs with `sh -c` in the
// project root with the project's variables in its environment, output shown on stderr (stdout
// stays free for data such as -o json); a {container: ...} entry runs in a pod of the app instead.
// The first failing command stops the hook.
import type { Project } from '../config/project.ts';
import type { HookName } from '../config/schema.ts';
import { exec } from '../process/exec.ts';
import { KloopError } from '../errors.ts';
import { log } from '../log/logger.ts';

/** The environment hooks and custom commands see: the process environment, then the project's own variables. */
export function projectEnv(project: Project, extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...project.vars.process };
  for (const v of project.vars.own.values()) env[v.name] = v.value;
  env.KLOOP_PROJECT = project.name;
  env.KLOOP_ROOT = project.root;
  if (project.environment) env.KLOOP_ENV = project.environment.name;
  if (project.cluster.context) env.KLOOP_KUBE_CONTEXT = project.cluster.context;
  env.KLOOP_NAMESPACE = project.cluster.namespace;
  return { ...env, ...extra };
}

/** Runs every command of one hook in order; a non-zero exit is a KloopError naming the hook and command. */
export async function runHooks(project: Project, name: HookName, env: Record<string, string> = {}): Promise<void> {
  const commands = project.hooks[name] ?? [];
  for (const command of commands) {
    if (typeof command !== 'string') {
      // the Kubernetes client and WebSocket code load only for a hook that needs them
      const { describeContainerHook, runContainerHook } = await import('./container-hook.ts');
      log.step(`hook ${name}: ${describeContainerHook(command)}`);
      await runContainerHook(project, name, command);
      continue;
    }
    log.step(`hook ${name}: ${command}`);
    const result = await exec('sh', ['-c', command], {
      cwd: project.root,
      env: projectEnv(project, env),
      onLine: (line) => log.prefixed(name, line),
    });
    if (result.code !== 0) {
      throw new KloopError(`hook ${name} failed: \`${command}\` exited with code ${result.code}`, {
        location: { file: project.configFile },
        hint: `fix the command under hooks.${name} in kloop.yaml; it runs with sh -c in ${project.root}`,
      });
    }
  }
}
