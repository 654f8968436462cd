// kloop dev [target...]: flags into a dev session's options, its subscribers (the terminal view,
// -o jsonl events, the session's API and dashboard) onto its store, and Ctrl-C / SIGTERM / SIGHUP
// into its stop, which restores what it changed.
import type { GlobalOptions } from '../cli/options.ts';
import { loadProject } from '../config/load.ts';
import { attachEvents } from '../dev/events.ts';
import { createDevSession } from '../dev/session.ts';
import { attachView } from '../dev/view.ts';
import type { PauseMode } from '../kube/gitops-owners.ts';
import { loggerOptions } from '../log/logger.ts';
import { redact } from '../log/redact.ts';
import { UsageError } from '../errors.ts';
import { announceDashboard, mentionApi, parseUiPort, serveSession } from '../ui/dev-dashboard.ts';
import type { Dashboard } from '../ui/server.ts';
import { terminalConfirm } from './confirm.ts';

export interface DevCommandOptions {
  /** --ui: print the dashboard's URL and open it (the session serves it either way) */
  ui?: boolean;
  /** false with --no-api: no server, so `kloop ui` and `kloop mcp` cannot reach this session */
  api?: boolean;
  /** --ui-port, as typed */
  uiPort?: string;
  skipDeploy?: boolean;
  /** --print-launch: with --debug, print the launch.json entries instead of writing them */
  printLaunch?: boolean;
  gitopsPause?: PauseMode;
  resync?: boolean;
}

export async function run(
  globals: GlobalOptions,
  targets: string[] = [],
  opts: DevCommandOptions = {},
): Promise<number> {
  const uiPort = parseUiPort(opts.uiPort);
  const api = opts.api !== false;
  if (!api && (opts.ui || uiPort !== undefined))
    throw new UsageError(
      `--no-api turns off the server that ${opts.ui ? '--ui' : '--ui-port'} needs`,
      'leave out one of them',
    );
  const project = await loadProject(globals);
  const confirm = terminalConfirm();
  const session = await createDevSession({
    project,
    targets,
    skipDeploy: Boolean(opts.skipDeploy),
    // On `kloop dev`, --debug also means: processes under their debuggers (CONTRACT.md).
    debug: globals.debug,
    printLaunch: Boolean(opts.printLaunch),
    ...(opts.gitopsPause ? { gitopsPause: opts.gitopsPause } : {}),
    ...(confirm ? { confirm } : {}),
    resync: Boolean(opts.resync),
  });

  const json = globals.output === 'json';
  // Session output is the command's data: stdout, one line at a time, through the one redaction point.
  const write = (line: string) => process.stdout.write(`${redact(line)}\n`);
  // -o jsonl: stdout carries the events; the terminal view goes to stderr
  const events = globals.output === 'jsonl';
  const view = attachView(session.store, {
    json,
    color: loggerOptions().color && globals.color,
    write: events ? (line) => process.stderr.write(`${redact(line)}\n`) : write,
  });
  const stream = events ? attachEvents(session.store) : undefined;
  // --print-launch: the attach entries are data too
  const launch = session.store.subscribe((_, a) => {
    if (a.type === 'debug-launch' && !a.file)
      write(JSON.stringify({ configurations: a.configurations }, null, json ? undefined : 2));
  });
  let dashboard: Dashboard | undefined;

  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const onSignal = () => stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  try {
    if (api) {
      // only the session that owns the project publishes its address (a second one fails here)
      await session.lock();
      dashboard = await serveSession(session, { project, port: uiPort });
      if (opts.ui || uiPort !== undefined) announceDashboard(dashboard, view.say);
      else mentionApi(dashboard, view.say);
    }
    await Promise.race([session.start(), stopped]);
    await stopped;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    // a second Ctrl-C while cleaning up should not leave patches behind silently
    const again = () =>
      view.say('still restoring the dev patches; press Ctrl-C again to abandon (the next kloop dev restores them)');
    process.once('SIGINT', again);
    try {
      await session.stop();
    } finally {
      process.off('SIGINT', again);
      view.close();
      stream?.close();
      launch();
      await dashboard?.close();
    }
  }
  return 0;
}
