// Which sessions of the project run on this machine (dev, connect, intercept) and what kloop has
// changed in the cluster outside an apply: the change journal (kube/journal.ts), the one record of it.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { readHybrids } from '../hybrid/published.ts';
import { summarizeHybrid } from '../dev/view.ts';
import { records } from '../kube/journal.ts';
import { alive } from '../process/alive.ts';

export interface SessionInfo {
  kind: 'dev' | 'connect' | 'intercept';
  pid: number;
  /** one line: what it does */
  summary: string;
  /** the dashboard's address (without its token) when the dev session serves one */
  dashboard?: string;
}

export interface ChangeInfo {
  /** dev-patch, intercept, namespace, gitops-pause, ... */
  kind: string;
  /** the journal's key, e.g. `shop/deployment/web` for a dev patch, `shop/web` for an intercepted Service */
  key?: string;
  /** what was changed, e.g. "deployment/web in shop" */
  describe: string;
  app?: string;
  target?: string;
  at?: string;
  owner?: { pid: number; host: string };
  /** the process that made it still runs; false: it is left over and the next run or purge restores it */
  ownerRunning: boolean;
  /** changes that stay until purge (created namespaces) */
  untilPurge?: boolean;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

const ownerRunning = (owner: { pid: number; host: string } | undefined) =>
  !owner || owner.host !== hostname() ? true : alive(owner.pid);

export function devSessionPid(stateDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(stateDir, 'dev-session.pid'), 'utf8').trim());
    return alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function runningSessions(stateDir: string): SessionInfo[] {
  const out: SessionInfo[] = [];
  const dev = devSessionPid(stateDir);
  if (dev) {
    const board = readJson(path.join(stateDir, 'dashboard.json')) as { pid?: number; port?: number } | undefined;
    out.push({
      kind: 'dev',
      pid: dev,
      summary: `kloop dev (pid ${dev})`,
      ...(board?.pid === dev && board.port ? { dashboard: `http://127.0.0.1:${board.port}/` } : {}),
    });
  }
  for (const h of Object.values(readHybrids(stateDir)))
    out.push({ kind: h.kind, pid: h.pid, summary: summarizeHybrid({ kind: h.kind, pid: h.pid, state: h.state }) });
  return out;
}

/** What kloop changed outside an apply, as the change journal records it. */
export async function recordedChanges(stateDir: string): Promise<ChangeInfo[]> {
  return (await records(stateDir)).map((r) => ({
    kind: r.kind,
    key: r.key,
    describe: r.describe || r.key,
    ...(r.app ? { app: r.app } : {}),
    ...(r.target ? { target: r.target } : {}),
    at: r.at,
    owner: r.owner,
    ownerRunning: ownerRunning(r.owner),
    ...(r.until === 'purge' ? { untilPurge: true } : {}),
  }));
}
