// connect and intercept run as their own processes; the dev session (and its dashboard) shows
// them by watching what each publishes under .kloop/hybrid/<kind>-<pid>.json. A file whose
// process is gone (kill -9) is ignored and removed by the reader.
import {
  type FSWatcher,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  watch,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { alive } from '../process/alive.ts';

export type HybridKind = 'connect' | 'intercept';

export interface PublishedHybrid {
  kind: HybridKind;
  pid: number;
  /** the command's own state (ConnectState or InterceptState), JSON */
  state: unknown;
  updatedAt: string;
}

const dirOf = (stateDir: string) => path.join(stateDir, 'hybrid');

/** Returns publish(state) and clear(); writes are atomic (rename), so readers never see half a file. */
export function hybridPublisher(stateDir: string, kind: HybridKind) {
  const file = path.join(dirOf(stateDir), `${kind}-${process.pid}.json`);
  return {
    publish(state: unknown): void {
      try {
        mkdirSync(dirOf(stateDir), { recursive: true });
        const entry: PublishedHybrid = { kind, pid: process.pid, state, updatedAt: new Date().toISOString() };
        writeFileSync(`${file}.tmp`, JSON.stringify(entry));
        renameSync(`${file}.tmp`, file);
      } catch {
        // showing the state in a dev session is a convenience; the command itself goes on
      }
    },
    clear(): void {
      rmSync(file, { force: true });
    },
  };
}

/** Every running connect/intercept of the project, keyed "<kind>-<pid>". */
export function readHybrids(stateDir: string): Record<string, PublishedHybrid> {
  const out: Record<string, PublishedHybrid> = {};
  let names: string[] = [];
  try {
    names = readdirSync(dirOf(stateDir)).filter((n) => n.endsWith('.json'));
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    const file = path.join(dirOf(stateDir), name);
    try {
      const entry = JSON.parse(readFileSync(file, 'utf8')) as PublishedHybrid;
      if (!alive(entry.pid)) {
        rmSync(file, { force: true });
        continue;
      }
      out[name.slice(0, -'.json'.length)] = entry;
    } catch {
      // being replaced right now, or not ours: skip it this round
    }
  }
  return out;
}

export interface HybridWatch {
  close(): void;
}

/**
 * Calls `onChange` with every running connect/intercept of the project at once, then whenever one
 * starts, changes or ends. File events (fs.watch) say when to read; a process killed with -9
 * leaves its file and no event, so the pids seen are checked every `checkMs` (a signal 0, no file
 * read), and the folder is read in full every fifth check anyway (a folder replaced, a file system
 * without events). Where fs.watch fails, the folder is read at every check instead.
 */
export function watchHybrids(
  stateDir: string,
  onChange: (now: Record<string, PublishedHybrid>) => void,
  checkMs = 2_000,
): HybridWatch {
  const dir = dirOf(stateDir);
  let last = '';
  let pids: number[] = [];
  const read = () => {
    const now = readHybrids(stateDir);
    pids = Object.values(now).map((h) => h.pid);
    // updatedAt changes with every write, even when nothing else did
    const text = JSON.stringify(Object.entries(now).map(([k, h]) => [k, h.kind, h.pid, h.state]));
    if (text === last) return;
    last = text;
    onChange(now);
  };
  let soon: NodeJS.Timeout | null = null;
  const readSoon = () => {
    // a publish is a write and a rename: read once both are done
    soon ??= setTimeout(() => {
      soon = null;
      read();
    }, 25);
  };
  let watcher: FSWatcher | null = null;
  try {
    mkdirSync(dir, { recursive: true });
    watcher = watch(dir, { persistent: false }, readSoon);
    watcher.on('error', () => {
      watcher?.close();
      watcher = null;
    });
  } catch {
    watcher = null;
  }
  let ticks = 0;
  const timer = setInterval(() => {
    ticks++;
    if (!watcher || ticks % 5 === 0 || pids.some((pid) => !alive(pid))) read();
  }, checkMs);
  timer.unref();
  read();
  return {
    close() {
      clearInterval(timer);
      if (soon) clearTimeout(soon);
      watcher?.close();
    },
  };
}
