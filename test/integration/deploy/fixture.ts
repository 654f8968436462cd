// Test projects and helpers for the deploy suite: a project directory written from a map of
// files, the kloop CLI and kubectl run as subprocesses against the sandbox's kubeconfig.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { BIN as bin, runCli } from '../../helpers/cli.ts';
import { deploymentYaml, writeTree } from '../../helpers/fixtures.ts';
import { run as runTool, type Sandbox, startSandbox } from '../../helpers/sandbox.ts';

export { repoRoot } from '../../helpers/cli.ts';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool (kubectl, git) to its end; a failure is a result, not a throw. */
export function run(
  file: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string } = {},
): Promise<Run> {
  const env = { ...process.env, CI: 'true', NO_COLOR: '1', ...options.env };
  return runTool(file, args, env, { cwd: options.cwd, input: options.input, allowFailure: true, timeoutMs: 600_000 });
}

async function kloop(cwd: string, env: Record<string, string>, args: string[]): Promise<Run> {
  const r = await runCli(args, { cwd, env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env } });
  return { ...r, code: r.code ?? 1 };
}

export interface Project {
  dir: string;
  write(files: Record<string, string>): void;
  remove(path: string): void;
  kloop(...args: string[]): Promise<Run>;
  /** kloop run in a subdirectory of the project dir, with extra environment variables */
  kloopIn(subdir: string, extra: Record<string, string>, ...args: string[]): Promise<Run>;
  /** kloop with extra environment variables (another KUBECONFIG) */
  kloopWith(extra: Record<string, string>, ...args: string[]): Promise<Run>;
  /** starts kloop without waiting, for kill tests */
  spawnKloop(...args: string[]): import('node:child_process').ChildProcess;
  kubectl(...args: string[]): Promise<Run>;
  /** kubectl with a manifest on stdin */
  kubectlInput(input: string, ...args: string[]): Promise<Run>;
  cleanup(): void;
}

export function createProject(kubeconfig: string, namespace: string, files: Record<string, string>): Project {
  const dir = mkdtempSync(join(tmpdir(), 'kloop-deploy-'));
  const env = { KUBECONFIG: kubeconfig, HOME: dir };
  const project: Project = {
    dir,
    write: (more) => writeTree(dir, more),
    remove(path) {
      rmSync(join(dir, path), { force: true });
    },
    kloop: (...args) => kloop(dir, env, [...args, '-n', namespace]),
    kloopIn: (subdir, extra, ...args) => kloop(join(dir, subdir), { ...env, ...extra }, [...args, '-n', namespace]),
    kloopWith: (extra, ...args) => kloop(dir, { ...env, ...extra }, [...args, '-n', namespace]),
    spawnKloop: (...args) =>
      spawn(process.execPath, [bin, ...args, '-n', namespace], {
        cwd: dir,
        env: { ...process.env, CI: 'true', ...env },
        stdio: 'ignore',
      }),
    kubectl: (...args) => run('kubectl', args, { env }),
    kubectlInput: (input, ...args) => run('kubectl', args, { env, input }),
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  project.write(files);
  return project;
}

/** A Deployment running busybox, ready once started; `command` makes it crash or log. */
export function deployment(
  name: string,
  options: { image?: string; command?: string; probeDelay?: number } = {},
): string {
  const { probeDelay, ...rest } = options;
  const probe = `          readinessProbe:
            exec: { command: ["true"] }
            initialDelaySeconds: ${probeDelay}
            periodSeconds: 1`;
  return deploymentYaml(name, { ...rest, ...(probeDelay === undefined ? {} : { fields: probe }) });
}

export function configMap(name: string, data: Record<string, string>): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: ${name} }
data: ${JSON.stringify(data)}
`;
}

export { type Sandbox, startSandbox } from '../../helpers/sandbox.ts';

/**
 * A suite's cluster: a sandbox started before the suite's tests and stopped after them, with the
 * projects made through it removed. Call it inside describe().
 */
export function useSandbox(): {
  readonly sandbox: Sandbox;
  project(namespace: string, files: Record<string, string>): Project;
} {
  let sandbox: Sandbox | undefined;
  const projects: Project[] = [];
  before(async () => {
    sandbox = await startSandbox();
  });
  after(async () => {
    for (const p of projects.splice(0)) p.cleanup();
    await sandbox?.stop();
  });
  return {
    get sandbox() {
      if (!sandbox) throw new Error('the sandbox starts in before(): use it inside a test');
      return sandbox;
    },
    project(namespace, files) {
      const p = createProject(this.sandbox.kubeconfig, namespace, files);
      projects.push(p);
      return p;
    },
  };
}
