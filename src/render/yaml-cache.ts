// The YAML text of a render, kept beside the render cache: a warm render whose objects are what
// they were last time reads the text back instead of writing it again (the largest part of a warm
// render's work). Only the bundled build keeps it, keyed by its build id: from sources the writer
// may be changing under the developer's hands.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from './cache.ts';
import type { KubeObject } from './types.ts';

// set by the bundled build (scripts/build.ts): a hash of every source file and the lockfile
declare const KLOOP_BUILD: string | undefined;

/** The YAML of each app's objects, as `write` makes it, from the cache when the objects are the same. */
export async function yamlOfApps(
  stateDir: string,
  apps: ReadonlyArray<readonly KubeObject[]>,
  write: (objects: readonly KubeObject[]) => string,
  build: string | undefined = typeof KLOOP_BUILD === 'string' ? KLOOP_BUILD : undefined,
): Promise<string[]> {
  if (!build) return apps.map(write);
  const hash = createHash('sha256').update(build);
  for (const objects of apps) hash.update('\0').update(JSON.stringify(objects));
  const file = path.join(cacheDir(stateDir), `yaml-${hash.digest('hex')}.json`);
  try {
    const cached = JSON.parse(await readFile(file, 'utf8')) as { yaml?: unknown };
    if (Array.isArray(cached.yaml) && cached.yaml.length === apps.length) return cached.yaml as string[];
  } catch {
    // not cached yet
  }
  const yaml = apps.map(write);
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ yaml }));
    await rename(tmp, file);
  } catch {
    // a cache that cannot be written only costs the next render its time
  }
  return yaml;
}
