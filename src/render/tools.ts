// Running helm, kubectl/kustomize and git through the process runner (process/exec.ts), turns "not installed"
// into a one-line error saying what to install, and identifies a tool binary without running it
// (so a warm cache hit never spawns helm or kustomize).
import { statSync } from 'node:fs';
import path from 'node:path';
import { ProcessFailure, run } from '../process/exec.ts';

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

/** A tool that ran and failed (the process runner's one failure shape); callers name the app and file. */
export { ProcessFailure as ToolFailure };

/** Spawn count per tool name: lets tests prove a warm render runs no helm or kustomize. */
export const spawnCounts = new Map<string, number>();

export function runTool(
  file: string,
  args: readonly string[],
  options: { cwd?: string; tool: string; env?: NodeJS.ProcessEnv },
): Promise<ToolResult> {
  spawnCounts.set(options.tool, (spawnCounts.get(options.tool) ?? 0) + 1);
  return run(file, args, { ...options, installHint: installHints[options.tool] ?? `install ${options.tool}` });
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
  const at = lines.findIndex((l) => /^Error:/i.test(l));
  const error = lines[at];
  // helm's values.schema.json report lists chart and field paths on the lines after its Error:
  if (error && /values don't meet the specifications/.test(error))
    return lines
      .slice(at)
      .join(' ')
      .replace(/^Error:\s*/i, '');
  return (error ?? lines.at(-1) ?? 'no output').replace(/^Error:\s*/i, '');
}
