// kloop run <command> [args...]: runs a commands: entry with sh -c, the project's variables in
// its environment and the arguments appended; its exit code is kloop's.
import { spawn } from 'node:child_process';
import type { GlobalOptions } from '../cli/options.ts';
import { loadProject } from '../config/load.ts';
import { didYouMean } from '../config/problems.ts';
import { variablesAsEnv } from '../config/variables.ts';
import { KloopError } from '../errors.ts';
import { log } from '../log/logger.ts';

/** Quotes an argument for sh. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export async function run(globals: GlobalOptions, name: string, args: string[] = []): Promise<number> {
  const project = await loadProject(globals);
  const command = project.commands[name];
  if (!command) {
    const names = Object.keys(project.commands);
    throw new KloopError(`no command "${name}" in ${project.configFile}${didYouMean(name, names)}`, {
      hint: names.length ? `commands: ${names.join(', ')}` : 'add it under commands: in kloop.yaml',
    });
  }
  // arguments are appended shell-quoted, so each reaches the command as one word
  const script = args.length ? `${command.run} ${args.map(shellQuote).join(' ')}` : command.run;
  log.command('sh', ['-c', script], project.root);
  const env = {
    ...variablesAsEnv(project.vars),
    KLOOP_PROJECT: project.name,
    KLOOP_ROOT: project.root,
    KLOOP_NAMESPACE: project.cluster.namespace,
    ...(project.cluster.context ? { KLOOP_KUBE_CONTEXT: project.cluster.context } : {}),
    ...(project.environment ? { KLOOP_ENV: project.environment.name } : {}),
  };
  const child = spawn('sh', ['-c', script], { cwd: project.root, env, stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on('error', (error) =>
        reject(new KloopError(`cannot start sh for command "${name}": ${error.message}`, { cause: error })),
      );
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + signalNumber(signal) : 1)));
    });
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1;
}
