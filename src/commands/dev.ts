// kloop dev [target...]: deploy, then a dev session (sync, reload, port-forwards, logs) until
// Ctrl-C, which ends it and restores what it changed.
import type { GlobalOptions } from '../cli/options.ts';
import type { PauseMode } from '../kube/gitops-owners.ts';
import { terminalConfirm } from './confirm.ts';
import { loadProject } from '../config/load.ts';
import { deployProject, openConnection } from '../deploy/deploy.ts';
import { createDialer } from '../kube/streams.ts';
import { DevSession } from '../dev/session.ts';
import { attachEvents } from '../dev/events.ts';
import { attachView } from '../dev/view.ts';
import { resolveCredentials } from '../kube/credentials.ts';
import { loggerOptions } from '../log/logger.ts';
import { redact } from '../log/redact.ts';
import { attachDashboard, parseUiPort } from '../ui/dev-dashboard.ts';
import type { Dashboard } from '../ui/server.ts';

export interface DevCommandOptions {
  ui?: boolean;
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
  const project = await loadProject(globals);
  const connection = await openConnection(project);
  const json = globals.output === 'json';
  // Session output is the command's data: stdout, one line at a time, through the one redaction point.
  const write = (line: string) => process.stdout.write(`${redact(line)}\n`);
  // -o jsonl: stdout carries the events; the terminal view goes to stderr
  const events = globals.output === 'jsonl';
  const viewWrite = events ? (line: string) => process.stderr.write(`${redact(line)}\n`) : write;
  let stream: ReturnType<typeof attachEvents> | undefined;
  let view: ReturnType<typeof attachView> | undefined;
  let dashboard: Dashboard | undefined;
  const session = new DevSession({
    project,
    client: connection.client,
    dialer: createDialer(await resolveCredentials({ context: project.cluster.context })),
    targets,
    deploy: opts.skipDeploy
      ? undefined
      : (apps) =>
          deployProject(project, { apps, images: {}, skipBuild: false, forceConflicts: false, wait: true }, connection),
    onLog: (line) => {
      view?.log(line);
      stream?.log(line);
      dashboard?.log(line);
    },
    onNotice: (m) => {
      view?.notice(m);
      stream?.notice(m);
      dashboard?.notice(m);
    },
    // On `kloop dev`, --debug also means: processes under their debuggers (CONTRACT.md).
    debug: globals.debug,
    ...(opts.gitopsPause ? { gitopsPause: opts.gitopsPause } : {}),
    ...(terminalConfirm() ? { confirm: terminalConfirm() } : {}),
    resync: Boolean(opts.resync),
    ...(opts.printLaunch
      ? { printLaunch: (entries) => write(JSON.stringify({ configurations: entries }, null, json ? undefined : 2)) }
      : {}),
  });
  view = attachView(session.store, { json, color: loggerOptions().color && globals.color, write: viewWrite });
  if (events) stream = attachEvents(session.store);
  if (opts.ui || uiPort)
    dashboard = await attachDashboard(session, {
      project,
      connection,
      port: uiPort,
      say: (m) => view?.notice(m),
    }).catch((error: unknown) => {
      connection.client.close();
      throw error;
    });

  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const onSignal = () => stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  try {
    await Promise.race([session.start(), stopped]);
    await stopped;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    // a second Ctrl-C while cleaning up should not leave patches behind silently
    const again = () =>
      view?.notice('still restoring the dev patches; press Ctrl-C again to abandon (the next kloop dev restores them)');
    process.once('SIGINT', again);
    try {
      await session.stop();
    } finally {
      process.off('SIGINT', again);
      view.close();
      stream?.close();
      await dashboard?.close();
      connection.client.close();
    }
  }
  return 0;
}
