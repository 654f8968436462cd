// `kloop dev --ui`: a dashboard on the session's store, with the actions the session offers, its
// URL printed, written to .kloop/ for `kloop ui`, and opened in the browser.
import type { Project } from '../config/project.ts';
import type { DevSession } from '../dev/session.ts';
import { UsageError } from '../errors.ts';
import { openInBrowser } from './open.ts';
import { type Dashboard, type DashboardActions, startDashboard } from './server.ts';

export interface DevDashboardOptions {
  project: Project;
  port?: number;
  /** session notices (the URL, "not opening a browser") */
  say: (message: string) => void;
}

/** --ui-port: a port number, or undefined for a free one */
export function parseUiPort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`--ui-port ${value} is not a port number`, 'give 1-65535, or leave it out for a free port');
  return port;
}

export async function attachDashboard(session: DevSession, o: DevDashboardOptions): Promise<Dashboard> {
  const names = Object.keys(session.store.get().targets);
  const apps = Object.fromEntries(names.map((t) => [t, o.project.dev[t]!.app]));
  const actions: DashboardActions = {
    resync: (t) => session.resync(t),
    restart: (t) => session.restart(t),
    rebuild: (t) => session.rebuild(t),
    purge: (t) => session.purge(t),
  };
  const dashboard = await startDashboard({
    store: session.store,
    actions,
    apps,
    port: o.port,
    stateDir: o.project.stateDir,
  });
  o.say(`dashboard: ${dashboard.url}`);
  openInBrowser(dashboard.url, o.say);
  return dashboard;
}
