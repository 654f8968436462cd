// Where a running session leaves its dashboard's address for `kloop ui`: <project>/.kloop/
// dashboard.json, readable by the user only (it holds the token), removed when the session ends.
// A session killed with -9 leaves it behind; the pid tells `kloop ui` it is stale.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface DashboardRecord {
  url: string;
  port: number;
  token: string;
  pid: number;
  project: string;
  startedAt: string;
}

export function dashboardFile(stateDir: string): string {
  return path.join(stateDir, 'dashboard.json');
}

export async function writeDashboardRecord(stateDir: string, record: DashboardRecord): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const file = dashboardFile(stateDir);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

export async function readDashboardRecord(stateDir: string): Promise<DashboardRecord | null> {
  try {
    const data = JSON.parse(await readFile(dashboardFile(stateDir), 'utf8')) as Partial<DashboardRecord>;
    if (typeof data.url !== 'string' || typeof data.token !== 'string' || typeof data.pid !== 'number') return null;
    return data as DashboardRecord;
  } catch {
    return null;
  }
}

/**
 * The pid of a dev session that runs for the project without publishing an address (started with
 * --no-api), from its lock (.kloop/dev-session.pid), so that `kloop ui` and `kloop mcp` can say so.
 */
export async function sessionWithoutApi(stateDir: string): Promise<number | null> {
  // loaded here, on the error path only: every dev session loads this file
  const { devSessionPid } = await import('../status/sessions.ts');
  const pid = devSessionPid(stateDir);
  return pid && pid !== process.pid ? pid : null;
}

/** removes the record if it is still this session's (a newer session may have replaced it) */
export async function removeDashboardRecord(stateDir: string, token: string): Promise<void> {
  const current = await readDashboardRecord(stateDir);
  if (current && current.token !== token) return;
  await rm(dashboardFile(stateDir), { force: true });
}
