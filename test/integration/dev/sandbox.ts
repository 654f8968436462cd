// The sandbox cluster for the dev suite: its own kubeconfig in a temp dir, removed with its
// containers by stop().
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
export { freePort } from '../../helpers/ports.ts';

const run = promisify(execFile);
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Sandbox {
  kubeconfig: string;
  kubectl(...args: string[]): Promise<string>;
  kubectlInput(input: string, ...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startSandbox(): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'kloop-dev-sandbox-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const cli = join(repoRoot, 'sandbox/cli.ts');
  try {
    await run(process.execPath, [cli, 'up', '--kubeconfig', kubeconfig]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  return {
    kubeconfig,
    kubectl: async (...args) => (await run('kubectl', args, { env })).stdout,
    kubectlInput: (input, ...args) =>
      new Promise((done, fail) => {
        const child = execFile('kubectl', args, { env }, (error, stdout, stderr) =>
          error ? fail(new Error(`${error.message}\n${stderr}`)) : done(stdout),
        );
        child.stdin?.end(input);
      }),
    async stop() {
      await run(process.execPath, [cli, 'down', '--kubeconfig', kubeconfig]).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Deployment whose busybox httpd serves /www on 8080 and logs a start line. */
export function webDeployment(name: string, extra = ''): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: busybox:1.36
          imagePullPolicy: Never
          command: [sh, -c, 'mkdir -p /www && echo "started $(hostname)" && exec httpd -f -v -p 8080 -h /www']
          ports: [{ containerPort: 8080 }]${extra}
`;
}
