// What a cache of kloop's own output keys on besides its inputs: the code that produced it. The
// bundle has its build id (a hash of every source file and the lockfile, set by scripts/build.ts);
// from sources, the size and mtime of every file under src/ and of the lockfile stand for it.
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

declare const KLOOP_BUILD: string | undefined;

let fromSources: string | undefined;

export function buildId(): string {
  if (typeof KLOOP_BUILD === 'string') return KLOOP_BUILD;
  if (fromSources) return fromSources;
  const src = path.dirname(fileURLToPath(import.meta.url));
  const files = readdirSync(src, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name))
    .sort();
  const hash = createHash('sha256');
  for (const f of [...files, path.join(src, '../package-lock.json')]) {
    const s = statSync(f, { throwIfNoEntry: false });
    hash.update(`${f}\0${s ? `${s.size}\0${s.mtimeMs}` : '-'}\0`);
  }
  fromSources = hash.digest('hex');
  return fromSources;
}
