// Runs the real CLI (`node src/cli/bin.ts`) as a child process in temporary project directories.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../../src/cli/bin.ts');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Temporary directories, removed by cleanup() (call it in after()). */
export class TempDirs {
  readonly dirs: string[] = [];

  make(files: Record<string, string> = {}, prefix = 'kloop-cli-'): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    writeFiles(dir, files);
    return dir;
  }

  cleanup(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/**
 * Runs kloop asynchronously (so servers in the test process keep answering). HOME points at
 * `home` (default: cwd) so no real kubeconfig is read unless KUBECONFIG is passed in env.
 */
export function kloop(
  cwd: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  input?: string,
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: cwd, CI: 'true', NO_COLOR: '1', KUBECONFIG: '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** A kubeconfig with the given contexts, all on one cluster. */
export function kubeconfigYaml(opts: {
  server: string;
  contexts: { name: string; namespace?: string }[];
  current?: string;
  caData?: string;
  token?: string;
}): string {
  const lines = [
    'apiVersion: v1',
    'kind: Config',
    `current-context: ${opts.current ?? opts.contexts[0]?.name ?? ''}`,
    'clusters:',
    '- name: c1',
    '  cluster:',
    `    server: ${opts.server}`,
    ...(opts.caData ? [`    certificate-authority-data: ${opts.caData}`] : []),
    'users:',
    '- name: u1',
    '  user:',
    `    token: ${opts.token ?? 'none'}`,
    'contexts:',
    ...opts.contexts.flatMap((c) => [
      `- name: ${c.name}`,
      '  context:',
      '    cluster: c1',
      '    user: u1',
      ...(c.namespace ? [`    namespace: ${c.namespace}`] : []),
    ]),
  ];
  return `${lines.join('\n')}\n`;
}
