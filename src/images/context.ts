// The files a build context sends, with a content hash per file. Hashes are remembered in
// <project>/.kloop/build-cache/ keyed by path + size + mtime + ctime + inode, so deciding that an
// unchanged context is unchanged costs one lstat per file instead of reading every file.
import { createHash } from 'node:crypto';
import {
  closeSync,
  type Dirent,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  renameSync,
  type Stats,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { KloopError } from '../errors.ts';
import type { DockerIgnore, ParentMatches } from './dockerignore.ts';

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface ContextEntry {
  /** slash path relative to the context */
  readonly path: string;
  readonly type: EntryType;
  /** permission bits */
  readonly mode: number;
  /** sha256 of the content (files), the link target (symlinks), "" otherwise */
  readonly digest: string;
}

export interface WalkOptions {
  readonly ignore: DockerIgnore;
  /** context-relative paths the custom-builder filter never drops (.dockerignore itself) */
  readonly alwaysInclude?: readonly string[];
  /** further filter (custom builders' inputs globs); directories are always walked */
  readonly filter?: (path: string) => boolean;
  /** context-relative directories never sent into the hash (kloop's own .kloop state) */
  readonly skipDirs?: readonly string[];
  /** directory for the hash cache; no cache when absent */
  readonly cacheDir?: string;
}

export interface WalkStats {
  files: number;
  hashed: number;
  cached: number;
}

// The cache is one line per file, "<size>\t<mtimeMs>\t<ctimeMs>\t<ino>\t<sha256>\t<path>",
// read into a map of path → line prefix and compared as strings: cheaper than parsing JSON.
const CACHE_HEADER = 'kloop-build-cache v1';

// A file changed shortly before the scan could change again within the same timestamp tick
// without its stat changing; such files are hashed but not remembered (git's "racy" rule). The
// window covers the kernel's coarse clock tick, or two seconds on filesystems with whole seconds.
function racy(st: Stats, scanStart: number): boolean {
  const wholeSeconds = st.mtimeMs % 1000 === 0 && st.ctimeMs % 1000 === 0;
  return Math.max(st.mtimeMs, st.ctimeMs) >= scanStart - (wholeSeconds ? 2000 : 100);
}

function cachePath(cacheDir: string, context: string): string {
  const key = createHash('sha256').update(context).digest('hex').slice(0, 16);
  return join(cacheDir, `files-${key}.tsv`);
}

function readCache(file: string, context: string): Map<string, string> {
  const map = new Map<string, string>();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return map; // no cache yet
  }
  const lines = text.split('\n');
  if (lines[0] !== `${CACHE_HEADER}\t${context}`) return map; // another format or a damaged file
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const at = line.lastIndexOf('\t');
    if (at > 0) map.set(line.slice(at + 1), line.slice(0, at));
  }
  return map;
}

const chunk = Buffer.allocUnsafe(1 << 20);

function hashFile(abs: string): string {
  const hash = createHash('sha256');
  const fd = openSync(abs, 'r');
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      hash.update(chunk.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

function typeOf(st: Stats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** Every entry the context sends, sorted by path, each with its content digest. */
export function walkContext(context: string, options: WalkOptions): { entries: ContextEntry[]; stats: WalkStats } {
  const { ignore, filter } = options;
  const always = new Set(options.alwaysInclude ?? []);
  const skip = new Set(options.skipDirs ?? []);
  const cacheFile = options.cacheDir ? cachePath(options.cacheDir, context) : undefined;
  const previous = cacheFile ? readCache(cacheFile, context) : new Map<string, string>();
  const next: string[] = [];
  const scanStart = Date.now();
  const stats: WalkStats = { files: 0, hashed: 0, cached: 0 };
  const entries: ContextEntry[] = [];

  try {
    const root = lstatSync(context);
    if (!root.isDirectory()) throw new Error('not a directory');
  } catch (e) {
    throw new KloopError(`build context ${context} is not a readable directory`, {
      cause: e,
      hint: 'check the image\'s "context" in kloop.yaml (relative to kloop.yaml)',
    });
  }

  const visit = (dirAbs: string, dirRel: string, parent: ParentMatches | undefined): void => {
    let names: Dirent[];
    try {
      names = readdirSync(dirAbs, { withFileTypes: true });
    } catch (e) {
      throw new KloopError(`cannot read ${dirAbs} in the build context: ${(e as Error).message}`, {
        cause: e,
        hint: 'make it readable, or exclude it in .dockerignore',
      });
    }
    for (const d of names) {
      const rel = dirRel ? `${dirRel}/${d.name}` : d.name;
      const abs = join(dirAbs, d.name);
      const { excluded, matches } = ignore.match(rel, parent);
      if (d.isDirectory()) {
        if (skip.has(rel)) continue;
        if (!excluded) {
          const st = lstatSync(abs);
          entries.push({ path: rel, type: 'dir', mode: st.mode & 0o7777, digest: '' });
          visit(abs, rel, matches);
        } else if (ignore.mayIncludeBelow(rel)) {
          visit(abs, rel, matches);
        }
        continue;
      }
      if (excluded || d.isSocket()) continue;
      if (filter && !always.has(rel) && !filter(rel)) continue;
      let st: Stats;
      try {
        st = lstatSync(abs);
      } catch (e) {
        // vanished between readdir and lstat: it is not part of the context any more
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      const type = typeOf(st);
      let digest = '';
      if (type === 'symlink') digest = readlinkSync(abs);
      else if (type === 'file') {
        stats.files++;
        const key = `${st.size}\t${st.mtimeMs}\t${st.ctimeMs}\t${st.ino}`;
        const hit = previous.get(rel);
        if (hit !== undefined && hit.length === key.length + 65 && hit.startsWith(key)) {
          digest = hit.slice(-64);
          stats.cached++;
        } else {
          try {
            digest = hashFile(abs);
          } catch (e) {
            throw new KloopError(`cannot read ${abs} in the build context: ${(e as Error).message}`, {
              cause: e,
              hint: 'make it readable, or exclude it in .dockerignore',
            });
          }
          stats.hashed++;
        }
        if (!racy(st, scanStart) && !/[\t\n]/.test(rel)) next.push(`${key}\t${digest}\t${rel}`);
      }
      entries.push({ path: rel, type, mode: st.mode & 0o7777, digest });
    }
  };
  visit(context, '', undefined);
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  // unchanged when every file came from the cache and none disappeared
  if (cacheFile && options.cacheDir && (stats.hashed > 0 || next.length !== previous.size)) {
    writeCache(options.cacheDir, cacheFile, `${CACHE_HEADER}\t${context}\n${next.join('\n')}\n`);
  }
  return { entries, stats };
}

function writeCache(dir: string, file: string, data: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, data);
    // rename is atomic: a concurrent reader sees the old or the new cache, never half of one
    renameSync(tmp, file);
  } catch {
    // the cache only saves time; failing to write it must not fail the build
  }
}

/** Context-relative slash path of `abs`, or undefined when it lies outside the context. */
export function insideContext(context: string, abs: string): string | undefined {
  const rel = relative(context, abs);
  if (rel === '' || rel.startsWith('..') || rel.startsWith('/')) return undefined;
  return rel.split('\\').join('/');
}

/** Content digest of one file (the Dockerfile), read in full. */
export function fileDigest(abs: string): string {
  try {
    return hashFile(abs);
  } catch (e) {
    throw new KloopError(`cannot read ${abs}: ${(e as Error).message}`, { cause: e });
  }
}
