// The local side of sync: which paths take part (gitignore-style excludes, rebuild globs) and what
// they are right now.
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import ignore from 'ignore';
import picomatch from 'picomatch';

export type LocalType = 'file' | 'dir' | 'symlink';

export interface LocalEntry {
  path: string;
  type: LocalType;
  mode: number;
  size: number;
  /** milliseconds, full precision */
  mtimeMs: number;
  /** changes on any write or chmod; tells apart two same-size edits within one second */
  stamp: string;
  target?: string;
}

export interface PathFilter {
  /** true when the path is excluded from sync (the user's excludes, or a rebuild file) */
  excluded(rel: string, isDir: boolean): boolean;
  /** true when a change to this path asks for a rebuild instead of a sync */
  rebuild(rel: string): boolean;
}

export function createFilter(exclude: readonly string[] = [], rebuild: readonly string[] = []): PathFilter {
  const ig = ignore().add([...exclude]);
  // like .gitignore: a glob without a slash matches the file name in every directory
  const matchers = rebuild.map((g) => picomatch(g, { dot: true, basename: !g.includes('/') }));
  const isRebuild = (rel: string) => matchers.some((m) => m(rel));
  return {
    excluded: (rel, isDir) => ig.ignores(isDir ? `${rel}/` : rel) || (!isDir && isRebuild(rel)),
    rebuild: isRebuild,
  };
}

export async function statLocal(root: string, rel: string): Promise<LocalEntry | null> {
  return statLocalSync(root, rel);
}

/**
 * Synchronous on purpose: lstat of thousands of files is several times faster without the thread
 * pool hop, and each call is microseconds.
 */
export function statLocalSync(root: string, rel: string): LocalEntry | null {
  const abs = path.join(root, rel);
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(abs);
  } catch {
    return null;
  }
  const type: LocalType | null = st.isFile()
    ? 'file'
    : st.isDirectory()
      ? 'dir'
      : st.isSymbolicLink()
        ? 'symlink'
        : null;
  if (!type) return null;
  const entry: LocalEntry = {
    path: rel,
    type,
    mode: st.mode & 0o7777,
    size: type === 'dir' ? 0 : st.size,
    mtimeMs: st.mtimeMs,
    stamp: `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.mode}`,
  };
  if (type === 'symlink') {
    try {
      entry.target = readlinkSync(abs);
    } catch {
      return null;
    }
  }
  return entry;
}

/**
 * Every synced entry at and below `rel` ("" = the root itself, not included). Excluded directories
 * are not descended into; symlinks are not followed.
 */
export async function walkLocal(root: string, rel: string, filter: PathFilter): Promise<LocalEntry[]> {
  const out: LocalEntry[] = [];
  if (rel !== '') {
    const self = await statLocal(root, rel);
    if (!self || filter.excluded(rel, self.type === 'dir')) return out;
    out.push(self);
    if (self.type !== 'dir') return out;
  }
  await walkChildren(root, rel, filter, out);
  return out;
}

async function walkChildren(root: string, rel: string, filter: PathFilter, out: LocalEntry[]): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(path.join(root, rel));
  } catch {
    return;
  }
  const dirs: string[] = [];
  for (const n of names) {
    const e = statLocalSync(root, rel === '' ? n : `${rel}/${n}`);
    if (!e || filter.excluded(e.path, e.type === 'dir')) continue;
    out.push(e);
    if (e.type === 'dir') dirs.push(e.path);
  }
  // a turn for the event loop between directories: forwards and logs keep flowing during a big walk
  await new Promise((resolve) => setImmediate(resolve));
  for (const d of dirs) await walkChildren(root, d, filter, out);
}
