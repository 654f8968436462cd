import { type CliResult, type Running, runCli, startCli } from '../../helpers/cli.ts';

export { BIN as bin, type Line, type Running, until } from '../../helpers/cli.ts';
export { eventually } from '../../helpers/wait.ts';

const env = (dir: string, kubeconfig: string): NodeJS.ProcessEnv => ({
  ...process.env,
  KUBECONFIG: kubeconfig,
  CI: 'true',
  NO_COLOR: '1',
  HOME: dir,
});

export function startDev(dir: string, kubeconfig: string, namespace = 'default', extra: string[] = []): Running {
  return startCli(['dev', '-o', 'json', '-n', namespace, ...extra], { cwd: dir, env: env(dir, kubeconfig) });
}

/** Runs kloop to its end (or SIGINT after `ms`, for following commands). */
export function runKloop(
  dir: string,
  kubeconfig: string,
  args: string[],
  ms?: number,
  namespace = 'default',
): Promise<CliResult> {
  return runCli(['-n', namespace, ...args], {
    cwd: dir,
    env: env(dir, kubeconfig),
    ...(ms ? { sigintAfterMs: ms } : {}),
  });
}

export const get = async (port: number, file: string) => {
  const res = await fetch(`http://127.0.0.1:${port}/${file}`, { signal: AbortSignal.timeout(3000) });
  return `${res.status} ${await res.text()}`;
};
