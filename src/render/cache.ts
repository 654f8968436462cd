// The render cache: one JSON file per app under <project>/.kloop/render-cache/, named by the hash
// of every input of that app's render. A hit returns the objects without spawning helm or kustomize.
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Origin } from './objects.ts';
import type { KubeObject } from './types.ts';

/** What helm/kustomize produced for an app; namespaces, images, order and validation are applied on top. */
export interface CachedApp {
  objects: KubeObject[];
  /** where each object was read (parallel to objects), so a cached render's errors still name file and line */
  origins?: Array<Origin | null>;
}

const KEEP = 400;

export function cacheDir(stateDir: string): string {
  return path.join(stateDir, 'render-cache');
}

export async function readCache(stateDir: string, key: string): Promise<CachedApp | undefined> {
  try {
    return JSON.parse(await readFile(path.join(cacheDir(stateDir), `${key}.json`), 'utf8')) as CachedApp;
  } catch {
    return undefined;
  }
}

/** Writes atomically (temp + rename) so a concurrent reader never sees half a file; keeps the newest entries. */
export async function writeCache(stateDir: string, key: string, entry: CachedApp): Promise<void> {
  const dir = cacheDir(stateDir);
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${key}.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify(entry));
  await rename(tmp, path.join(dir, `${key}.json`));
  await prune(dir);
}

async function prune(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json') && n !== 'tools.json');
  // render and validation entries are pruned together, oldest first
  if (names.length <= KEEP) return;
  // another app's prune (parallel renders) may have removed an entry since the listing
  const stamped = await Promise.all(
    names.map(async (n) => ({ n, t: (await stat(path.join(dir, n)).catch(() => null))?.mtimeMs })),
  );
  const dated = stamped.filter((e): e is { n: string; t: number } => e.t !== undefined);
  dated.sort((a, b) => a.t - b.t);
  for (const { n } of dated.slice(0, dated.length - KEEP)) await rm(path.join(dir, n), { force: true });
}

/** Tool versions by binary identity (path, size, mtime): asked once per installed binary. */
export async function cachedToolVersion(
  stateDir: string,
  identity: string,
  ask: () => Promise<string>,
): Promise<string> {
  const file = path.join(cacheDir(stateDir), 'tools.json');
  let known: Record<string, string> = {};
  try {
    known = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
  } catch {
    // first use
  }
  const hit = known[identity];
  if (hit) return hit;
  const version = await ask();
  known[identity] = version;
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(known, null, 2));
  await rename(tmp, file);
  return version;
}

/** A passed validation, by the hash of what was validated: a warm render skips loading the schemas. */
export async function readValidation(stateDir: string, key: string): Promise<{ unchecked: string[] } | undefined> {
  try {
    return JSON.parse(await readFile(path.join(cacheDir(stateDir), `valid-${key}.json`), 'utf8')) as {
      unchecked: string[];
    };
  } catch {
    return undefined;
  }
}

export async function writeValidation(stateDir: string, key: string, entry: { unchecked: string[] }): Promise<void> {
  const dir = cacheDir(stateDir);
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.valid-${key}.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify(entry));
  await rename(tmp, path.join(dir, `valid-${key}.json`));
}
