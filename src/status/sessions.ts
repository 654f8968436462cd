// Which sessions of the project run on this machine (dev, connect, intercept) and what kloop has
// changed in the cluster outside an apply: the change journal (kube/journal.ts), and the ledgers
// kloop wrote before it (.kloop/dev-patches.json, .kloop/intercepts.json) while they still exist.
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

/** What kloop changed outside an apply: the change journal, then ledgers older kloop versions wrote. */
export async function recordedChanges(stateDir: string): Promise<ChangeInfo[]> {
  const out: ChangeInfo[] = [];
  for (const r of await records(stateDir)) {
    out.push({
      kind: r.kind,
      key: r.key,
      describe: r.describe || r.key,
      ...(r.app ? { app: r.app } : {}),
      ...(r.target ? { target: r.target } : {}),
      at: r.at,
      owner: r.owner,
      ownerRunning: ownerRunning(r.owner),
      ...(r.until === 'purge' ? { untilPurge: true } : {}),
    });
  }
  // ledgers of sessions from before the journal
  const dev = devSessionPid(stateDir);
  const patches = readJson(path.join(stateDir, 'dev-patches.json')) as
    | { patches?: { namespace: string; workload: string; at?: string; original?: { container?: string } }[] }
    | undefined;
  for (const p of patches?.patches ?? [])
    out.push({
      kind: 'dev-patch',
      describe: `${p.workload} in ${p.namespace}: dev patch of container ${p.original?.container ?? '?'}`,
      ...(p.at ? { at: p.at } : {}),
      ...(dev ? { owner: { pid: dev, host: hostname() } } : {}),
      ownerRunning: dev !== undefined,
    });
  const intercepts = readJson(path.join(stateDir, 'intercepts.json')) as
    | { intercepts?: { namespace: string; service: string; pid: number; host: string; at?: string }[] }
    | undefined;
  for (const i of intercepts?.intercepts ?? [])
    out.push({
      kind: 'intercept',
      describe: `service/${i.service} in ${i.namespace}: traffic sent to a local process`,
      ...(i.at ? { at: i.at } : {}),
      owner: { pid: i.pid, host: i.host },
      ownerRunning: ownerRunning({ pid: i.pid, host: i.host }),
    });
  return out;
}
