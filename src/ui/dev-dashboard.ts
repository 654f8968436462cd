// Every `kloop dev` serves its session (unless --no-api): the store's state and the session's
// actions on 127.0.0.1 behind a token, its address written to .kloop/ for `kloop ui` and `kloop mcp`.
// `--ui` only prints the dashboard's URL and opens it in the browser.
import type { Project } from '../config/project.ts';
import type { DevSession } from '../dev/session.ts';
import { UsageError } from '../errors.ts';
import { openInBrowser } from './open.ts';
import { type Dashboard, type DashboardActions, startDashboard } from './server.ts';

export interface DevDashboardOptions {
  project: Project;
  port?: number;
}

/** --ui-port: a port number, or undefined for a free one */
export function parseUiPort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`--ui-port ${value} is not a port number`, 'give 1-65535, or leave it out for a free port');
  return port;
}

/** Serves the session's state, actions and dashboard, and publishes the address in the project's .kloop/. */
export async function serveSession(session: DevSession, o: DevDashboardOptions): Promise<Dashboard> {
  const names = Object.keys(session.store.get().targets);
  const apps = Object.fromEntries(names.map((t) => [t, o.project.dev[t]!.app]));
  const actions: DashboardActions = {
    resync: (t) => session.resync(t),
    restart: (t) => session.restart(t),
    rebuild: (t) => session.rebuild(t),
    purge: (t) => session.purge(t),
  };
  return startDashboard({
    store: session.store,
    actions,
    apps,
    port: o.port,
    stateDir: o.project.stateDir,
  });
}

/** --ui: the dashboard's URL (with its token) said, and opened where there is a display. */
export function announceDashboard(dashboard: Dashboard, say: (message: string) => void): void {
  say(`dashboard: ${dashboard.url}`);
  openInBrowser(dashboard.url, say);
}

/** Without --ui: where the session can be reached, without the token (that stays in .kloop/). */
export function mentionApi(dashboard: Dashboard, say: (message: string) => void): void {
  say(
    `session API on http://127.0.0.1:${dashboard.port}/ (\`kloop ui\` opens its dashboard, \`kloop mcp\` reaches it)`,
  );
}
