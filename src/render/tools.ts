// Running helm, kubectl/kustomize and git: one place that spawns them, turns "not installed"
// into a one-line error saying what to install, and identifies a tool binary without running it
// (so a warm cache hit never spawns helm or kustomize).
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { KloopError } from '../errors.ts';
import { log } from '../log/logger.ts';

export interface ToolResult {
  stdout: string;
  stderr: string;
}

const installHints: Record<string, string> = {
  helm: 'install Helm 3 (https://helm.sh/docs/intro/install/) or set tools.helm in kloop.yaml',
  kubectl: 'install kubectl (it includes kustomize) or set tools.kubectl in kloop.yaml',
  kustomize: 'install kustomize, or remove tools.kustomize from kloop.yaml to use `kubectl kustomize`',
  git: 'install git or set tools.git in kloop.yaml',
};

/** Thrown when a tool ran and failed; the caller turns it into a message naming the app and file. */
export class ToolFailure extends Error {
  readonly stderr: string;
  readonly code: number | null;
  constructor(tool: string, args: readonly string[], stderr: string, code: number | null) {
    super(`${tool} ${args.join(' ')} failed (exit ${code ?? 'signal'})`);
    this.stderr = stderr;
    this.code = code;
  }
}

/** Spawn count per tool name: lets tests prove a warm render runs no helm or kustomize. */
export const spawnCounts = new Map<string, number>();

export function runTool(
  file: string,
  args: readonly string[],
  options: { cwd?: string; tool: string; env?: NodeJS.ProcessEnv },
): Promise<ToolResult> {
  log.command(file, args, options.cwd);
  spawnCounts.set(options.tool, (spawnCounts.get(options.tool) ?? 0) + 1);
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 512 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'EACCES') {
            reject(
              new KloopError(`${options.tool} not found: ${file}`, {
                hint: installHints[options.tool] ?? `install ${options.tool}`,
              }),
            );
            return;
          }
          reject(new ToolFailure(path.basename(file), args, stderr, typeof code === 'number' ? code : null));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

/** Where a command name resolves on PATH (or the path itself when it has a slash); undefined when missing. */
export function which(command: string, envPath = process.env.PATH ?? ''): string | undefined {
  const candidates = command.includes('/')
    ? [command]
    : envPath.split(path.delimiter).map((d) => path.join(d, command));
  for (const candidate of candidates) {
    try {
      const st = statSync(candidate);
      if (st.isFile() && st.mode & 0o111) return path.resolve(candidate);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Identifies a binary by path, size and mtime: cheap, and changes when the tool is upgraded. */
export function toolIdentity(command: string): string {
  const resolved = which(command);
  if (!resolved) return `${command}:missing`;
  const st = statSync(resolved);
  return `${resolved}:${st.size}:${st.mtimeMs}`;
}

/** One line from a tool's stderr that says what went wrong (helm and kustomize print "Error: ..."). */
export function toolMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const error = lines.find((l) => /^Error:/i.test(l));
  return (error ?? lines.at(-1) ?? 'no output').replace(/^Error:\s*/i, '');
}
