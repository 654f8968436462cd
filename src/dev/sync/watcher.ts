// Watches a folder with one non-recursive fs.watch (one inotify watch) per directory. Node's
// recursive fs.watch on Linux loses events when a file is replaced by a directory of the same name
// and stops reporting inside it (25 of 50 such replacements went unseen here), and
// @parcel/watcher keeps reporting a moved directory's files under the old path; owning the
// per-directory watches lets us re-watch exactly what moved or changed type. Excluded
// directories (node_modules) are never watched. Events are hints: the engine stats what changed.
import { type Dirent, type FSWatcher, lstatSync, readdirSync, watch } from 'node:fs';
import path from 'node:path';
import type { PathFilter } from './local-tree.ts';
import { isWithin } from './paths.ts';

interface Watched {
  watcher: FSWatcher;
  ino: number;
}

export class TreeWatcher {
  private readonly root: string;
  private readonly filter: PathFilter;
  private readonly onChange: (rel: string) => void;
  private readonly onError: (error: Error) => void;
  private readonly watched = new Map<string, Watched>();
  private closed = false;

  constructor(root: string, filter: PathFilter, onChange: (rel: string) => void, onError: (error: Error) => void) {
    this.root = root;
    this.filter = filter;
    this.onChange = onChange;
    this.onError = onError;
  }

  start(): void {
    this.addTree('');
  }

  /** directories currently watched (for status and tests) */
  get size(): number {
    return this.watched.size;
  }

  close(): void {
    this.closed = true;
    for (const w of this.watched.values()) w.watcher.close();
    this.watched.clear();
  }

  private abs(rel: string): string {
    return rel === '' ? this.root : path.join(this.root, rel);
  }

  private addTree(rel: string): void {
    if (this.closed) return;
    let ino: number;
    try {
      const st = lstatSync(this.abs(rel));
      if (!st.isDirectory()) return;
      ino = st.ino;
    } catch {
      return;
    }
    if (this.watched.get(rel)?.ino === ino) return;
    this.removeTree(rel);
    let watcher: FSWatcher;
    try {
      watcher = watch(this.abs(rel), (_event, name) => this.handle(rel, name));
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') return;
      if (e.code === 'ENOSPC') {
        this.onError(
          new Error(
            `cannot watch more directories (${this.watched.size} watched): the inotify limit is reached; raise it with "sysctl fs.inotify.max_user_watches=524288" or exclude large folders`,
          ),
        );
        return;
      }
      this.onError(e);
      return;
    }
    watcher.on('error', () => {
      // the directory went away under its watcher: its parent's event reports what happened
      if (this.watched.get(rel)?.watcher === watcher) this.removeTree(rel);
      this.onChange(rel);
    });
    this.watched.set(rel, { watcher, ino });
    let entries: Dirent[];
    try {
      entries = readdirSync(this.abs(rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const d of entries) {
      if (!d.isDirectory()) continue;
      const child = rel === '' ? d.name : `${rel}/${d.name}`;
      if (!this.filter.excluded(child, true)) this.addTree(child);
    }
  }

  private removeTree(rel: string): void {
    for (const [p, w] of this.watched) {
      if (rel === '' || isWithin(p, rel)) {
        w.watcher.close();
        this.watched.delete(p);
      }
    }
  }

  private handle(dir: string, name: string | Buffer | null): void {
    if (this.closed) return;
    if (name === null) {
      this.onChange(dir);
      return;
    }
    const child = dir === '' ? String(name) : `${dir}/${String(name)}`;
    this.onChange(child);
    // A directory that appeared, moved away or was replaced: watch what is there now.
    let st: ReturnType<typeof lstatSync> | undefined;
    try {
      st = lstatSync(this.abs(child));
    } catch {
      st = undefined;
    }
    if (st?.isDirectory()) {
      if (this.watched.get(child)?.ino !== st.ino && !this.filter.excluded(child, true)) this.addTree(child);
    } else if (this.hasWatchesUnder(child)) this.removeTree(child);
  }

  private hasWatchesUnder(rel: string): boolean {
    for (const p of this.watched.keys()) if (isWithin(p, rel)) return true;
    return false;
  }
}
