// kloop completion bash|zsh|fish|powershell: a completion script generated from the command line
// definition itself; `kloop __complete <kind> [prefix]` (hidden) gives it kloop.yaml and cluster names.
import type { GlobalOptions } from '../cli/options.ts';
import { version } from '../version.ts';
import { bashScript, zshScript } from '../completion/bash-zsh.ts';
import { fishScript } from '../completion/fish.ts';
import { powershellScript } from '../completion/powershell.ts';
import { completionSpec } from '../completion/spec.ts';
import { completionLines } from '../completion/values.ts';

export const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;

export async function run(_globals: GlobalOptions, shell: string): Promise<number> {
  const { buildProgram } = await import('../cli/main.ts');
  const spec = completionSpec(buildProgram());
  const v = version();
  const script =
    shell === 'bash'
      ? bashScript(spec, v)
      : shell === 'zsh'
        ? zshScript(spec, v)
        : shell === 'fish'
          ? fishScript(spec, v)
          : powershellScript(spec, v);
  process.stdout.write(script);
  return 0;
}

export async function complete(globals: GlobalOptions, kind: string, prefix = ''): Promise<number> {
  process.stdout.write(
    await completionLines(kind, prefix, {
      cwd: globals.cwd,
      config: globals.config,
      env: globals.env,
      kubeContext: globals.kubeContext,
      processEnv: process.env,
    }),
  );
  return 0;
}
