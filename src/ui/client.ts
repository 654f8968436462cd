// Reaching a running dev session from another process (kloop mcp): the address its server (every
// `kloop dev` runs one unless --no-api) left in .kloop/dashboard.json, its store's state through
// GET /api/state, and its actions through POST /api/actions/<action>, the path the dashboard's
// buttons and `kloop ui <action>` take.
import { KloopError } from '../errors.ts';
import { type DashboardRecord, readDashboardRecord, sessionWithoutApi } from './session-file.ts';

const START_HINT =
  'start one with `kloop dev` in this project (every session serves the API other commands reach it through, unless started with --no-api)';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function runningSession(stateDir: string): Promise<DashboardRecord> {
  const record = await readDashboardRecord(stateDir);
  if (!record || !alive(record.pid)) {
    const unreachable = await sessionWithoutApi(stateDir);
    if (unreachable)
      throw new KloopError(`the dev session running for this project (pid ${unreachable}) serves no API`, {
        hint: 'it was started with --no-api; start it again without --no-api so that kloop mcp can reach it',
      });
    throw new KloopError('no dev session with a dashboard is running for this project', { hint: START_HINT });
  }
  return record;
}

export interface LiveSession {
  pid: number;
  startedAt: string;
  /** the session store's state (src/dev/state.ts SessionState) */
  state: unknown;
}

/** The running `kloop dev` session's state as its store holds it now, or null when none runs or answers. */
export async function liveSession(stateDir: string): Promise<LiveSession | null> {
  const record = await readDashboardRecord(stateDir);
  if (!record || !alive(record.pid)) return null;
  try {
    const res = await fetch(new URL('/api/state', record.url), {
      headers: { authorization: `Bearer ${record.token}` },
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) return null;
    const body = (await res.json()) as { state?: unknown };
    return { pid: record.pid, startedAt: record.startedAt, state: body.state };
  } catch {
    return null;
  }
}

/** Asks the running session to run an action on a dev target; resolves when it is done. */
export async function sessionAction(stateDir: string, action: string, target: string): Promise<void> {
  const record = await runningSession(stateDir);
  let res: Response;
  try {
    res = await fetch(new URL(`/api/actions/${encodeURIComponent(action)}`, record.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${record.token}` },
      body: JSON.stringify({ target }),
      signal: AbortSignal.timeout(600_000),
    });
  } catch (error) {
    throw new KloopError(`the dev session (pid ${record.pid}) does not answer`, {
      hint: `${(error as Error).message}; if it hangs, stop it with Ctrl-C and start it again`,
    });
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string; targets?: string[] };
  if (!res.ok)
    throw new KloopError(`${action} ${target}: ${body.error ?? `HTTP ${res.status}`}`, {
      hint: body.targets ? `dev targets of the running session: ${body.targets.join(', ')}` : undefined,
    });
}
