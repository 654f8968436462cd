// The sandbox cluster for the dev suite: the shared harness (test/helpers/sandbox.ts) with kubectl
// answering its stdout and throwing on failure, as these suites read it.
import { deploymentYaml } from '../../helpers/fixtures.ts';
import { startSandbox as startShared } from '../../helpers/sandbox.ts';

export { repoRoot } from '../../helpers/cli.ts';
export { freePort } from '../../helpers/ports.ts';

// kubectl's own --timeout decides; this only stops a kubectl that hangs past every --timeout used here
const timeoutMs = 300_000;

export interface Sandbox {
  kubeconfig: string;
  kubectl(...args: string[]): Promise<string>;
  kubectlInput(input: string, ...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startSandbox(): Promise<Sandbox> {
  const sandbox = await startShared();
  return {
    kubeconfig: sandbox.kubeconfig,
    kubectl: async (...args) => (await sandbox.kubectl(args, { timeoutMs })).stdout,
    kubectlInput: async (input, ...args) => (await sandbox.kubectl(args, { input, timeoutMs })).stdout,
    stop: () => sandbox.stop(),
  };
}

/** A Deployment whose busybox httpd serves /www on 8080 and logs a start line. */
export function webDeployment(name: string): string {
  return deploymentYaml(name, {
    container: 'web',
    command: 'mkdir -p /www && echo "started $(hostname)" && exec httpd -f -v -p 8080 -h /www',
    fields: '          ports: [{ containerPort: 8080 }]',
  });
}
