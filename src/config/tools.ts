// The external tools kloop runs: a configured path (relative to kloop.yaml) or the name on PATH.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Absolute path of a command on PATH, or undefined. */
export function which(name: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? resolve(name) : undefined;
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** A configured tool: paths with a slash are relative to the project root; bare names are looked up on PATH. */
export function resolveTool(
  configured: string | undefined,
  name: string,
  root: string,
  pathEnv?: string,
): string | undefined {
  if (configured?.includes('/')) return resolve(root, configured);
  return which(configured ?? name, pathEnv);
}
