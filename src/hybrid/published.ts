// connect and intercept run as their own processes; the dev session (and its dashboard) shows
// them by reading what each publishes under .kloop/hybrid/<kind>-<pid>.json. A file whose
// process is gone (kill -9) is ignored and removed by the reader.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
