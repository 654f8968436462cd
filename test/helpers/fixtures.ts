// Writing a small project for a test: relative path → file text, folders created as needed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function writeTree(dir: string, files: Record<string, string>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), text);
  }
}

const temporary: string[] = [];
process.on('exit', () => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** A new temporary directory holding `files`; removed when the test process ends. */
export function tempTree(files: Record<string, string>, prefix = 'kloop-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temporary.push(dir);
  writeTree(dir, files);
  return dir;
}

export interface DeploymentOptions {
  /** the one container's name (default: the Deployment's name) */
  container?: string;
  /** default busybox:1.36, already on the machine (imagePullPolicy: Never) */
  image?: string;
  /** a string runs with sh -c (default: sleep 3600); a list is the command as it stands */
  command?: string | string[];
  /** more fields of the container, as YAML lines indented under it (env:, ports:, readinessProbe:) */
  fields?: string;
}

/** A one-replica Deployment of one container that stops at once (1 s grace), labelled app=<name>. */
export function deploymentYaml(name: string, options: DeploymentOptions = {}): string {
  const command = options.command ?? 'sleep 3600';
  const fields = options.fields ? `\n${options.fields.replace(/^\n+|\n+$/g, '')}` : '';
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
        - name: ${options.container ?? name}
          image: ${options.image ?? 'busybox:1.36'}
          imagePullPolicy: Never
          command: ${JSON.stringify(typeof command === 'string' ? ['sh', '-c', command] : command)}${fields}
`;
}

/** busybox httpd serving /www on 8080; each start logs a line beginning "started". */
export const HTTPD = 'mkdir -p /www && echo "started $(date +%s%N)" && exec httpd -f -p 8080 -h /www';

/**
 * The dev suites' web project: app `web` (deploy/web.yaml, busybox httpd) with a dev target that
 * syncs public/ to /www, restarts the process on sync and forwards `port` to 8080.
 */
export function webDevProject(
  name: string,
  port: number,
  options: { exclude?: string[]; patch?: string } = {},
): Record<string, string> {
  const exclude = options.exclude ? `, exclude: ${JSON.stringify(options.exclude)}` : '';
  return {
    'kloop.yaml': `version: v1
name: ${name}
apps:
  web:
    manifests: [deploy/*.yaml]
dev:
  web:
    app: web
    workload: deployment/web
    container: web
    sync:
      - { from: public, to: /www${exclude} }
    onSync: restart
${options.patch ? `    patch: ${options.patch}\n` : ''}    ports: ["${port}:8080"]
`,
    'deploy/web.yaml': deploymentYaml('web', { command: HTTPD }),
    'public/index.html': 'hello\n',
  };
}
