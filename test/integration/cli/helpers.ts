// Runs the real CLI (`node src/cli/bin.ts`) as a child process in temporary project directories.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.ts';
import { writeTree } from '../../helpers/fixtures.ts';

export { BIN } from '../../helpers/cli.ts';

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
    writeTree(dir, files);
    return dir;
  }

  cleanup(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

/**
 * Runs kloop asynchronously (so servers in the test process keep answering). HOME points at
 * `home` (default: cwd) so no real kubeconfig is read unless KUBECONFIG is passed in env.
 */
export async function kloop(
  cwd: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  input?: string,
): Promise<CliResult> {
  const { code, stdout, stderr } = await runCli(args, {
    cwd,
    env: { PATH: process.env.PATH, HOME: cwd, CI: 'true', NO_COLOR: '1', KUBECONFIG: '', ...env },
    input: input ?? '',
  });
  return { status: code, stdout, stderr };
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
