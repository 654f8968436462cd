// kloop ui [action target]: the dashboard of the dev session running for this project (any session:
// each one serves it unless started with --no-api). Without an
// action it prints the URL (with its token) and opens it; with one (resync, restart, rebuild,
// purge) it asks the running session to act on a dev target, exactly as the dashboard's buttons do.
import path from 'node:path';
import type { GlobalOptions } from '../cli/options.ts';
import { findConfigFile } from '../config/load.ts';
import { KloopError, UsageError } from '../errors.ts';
import { log } from '../log/logger.ts';
import { openInBrowser } from '../ui/open.ts';
import { ACTIONS } from '../ui/server.ts';
import { alive } from '../process/alive.ts';
import { type DashboardRecord, dashboardFile, readDashboardRecord, sessionWithoutApi } from '../ui/session-file.ts';

export interface UiCommandOptions {
  /** false with --no-open */
  open?: boolean;
}

const START_HINT =
  'start one with `kloop dev` in this project (every session serves its dashboard while it runs; `kloop dev --ui` also opens it, a session started with --no-api serves none)';

async function findSession(globals: GlobalOptions): Promise<DashboardRecord> {
  const configFile = findConfigFile(globals.cwd, globals.config);
  const stateDir = path.join(path.dirname(configFile), '.kloop');
  const record = await readDashboardRecord(stateDir);
  const unreachable = record && alive(record.pid) ? null : await sessionWithoutApi(stateDir);
  if (unreachable)
    throw new KloopError(`the dev session running for ${configFile} (pid ${unreachable}) serves no dashboard`, {
      hint: 'it was started with --no-api; start it again without --no-api to reach it from kloop ui and kloop mcp',
    });
  if (!record)
    throw new KloopError(`no dev session with a dashboard is running for ${configFile}`, { hint: START_HINT });
  if (!alive(record.pid))
    throw new KloopError(
      `the dev session that served the dashboard (pid ${record.pid}, started ${record.startedAt}) is no longer running`,
      { hint: `${START_HINT}; ${dashboardFile(stateDir)} is left over from it` },
    );
  return record;
}

async function call(record: DashboardRecord, route: string, init: RequestInit = {}): Promise<Response> {
  const url = new URL(route, record.url);
  try {
    return await fetch(url, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${record.token}` },
      signal: AbortSignal.timeout(init.method === 'POST' ? 600_000 : 5_000),
    });
  } catch (error) {
    throw new KloopError(`the dashboard of the dev session (pid ${record.pid}) at ${url.origin} does not answer`, {
      hint: `${(error as Error).message}; if that session hangs, stop it with Ctrl-C and start \`kloop dev\` again`,
    });
  }
}

export async function run(
  globals: GlobalOptions,
  action?: string,
  target?: string,
  opts: UiCommandOptions = {},
): Promise<number> {
  if (action !== undefined && !(ACTIONS as readonly string[]).includes(action))
    throw new UsageError(`kloop ui: unknown action "${action}"`, `actions: ${ACTIONS.join(', ')}`);
  if (action !== undefined && !target)
    throw new UsageError(`kloop ui ${action} needs a dev target`, `kloop ui ${action} <target>`);
  const record = await findSession(globals);
  const res = await call(record, '/api/state');
  const info = (await res.json().catch(() => ({}))) as { state?: { targets?: Record<string, unknown> } };
  const targets = Object.keys(info.state?.targets ?? {});

  if (action !== undefined) {
    const r = await call(record, `/api/actions/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target }),
    });
    const body = (await r.json().catch(() => ({}))) as { error?: string };
    if (!r.ok)
      throw new KloopError(`${action} ${target}: ${body.error ?? `HTTP ${r.status}`}`, {
        hint: r.status === 404 ? `dev targets of the running session: ${targets.join(', ')}` : undefined,
      });
    if (globals.output === 'json') process.stdout.write(`${JSON.stringify({ action, target, ok: true })}\n`);
    else log.success(`${target}: ${action} done`);
    return 0;
  }

  if (globals.output === 'json')
    process.stdout.write(`${JSON.stringify({ url: record.url, project: record.project, pid: record.pid, targets })}\n`);
  else process.stdout.write(`${record.url}\n`);
  if (opts.open !== false) openInBrowser(record.url, (m) => log.info(m));
  return 0;
}
