// kloop intercept <target> --port LOCAL[:REMOTE] [--header NAME=VALUE]: the target Service's
// traffic (or only requests with the header) to a local process, until Ctrl-C restores it.
import type { GlobalOptions } from '../cli/options.ts';
import type { PauseMode } from '../kube/gitops-owners.ts';
import { terminalConfirm } from './confirm.ts';
import { loadProject } from '../config/load.ts';
import { openConnection } from '../deploy/deploy.ts';
import { createDialer } from '../kube/streams.ts';
import { hybridPublisher } from '../hybrid/published.ts';
import { KloopError } from '../errors.ts';
import { Intercept, type InterceptState, parseHeader, parsePortSpec } from '../hybrid/intercept.ts';
import { log } from '../log/logger.ts';
import { redact } from '../log/redact.ts';

export interface InterceptCommandOptions {
  /** --agent-image */
  agentImage?: string;
  port: string;
  header?: string;
  gitopsPause?: PauseMode;
  resync?: boolean;
}

export async function run(globals: GlobalOptions, name: string, opts: InterceptCommandOptions): Promise<number> {
  const { local, remote } = parsePortSpec(opts.port);
  const header = opts.header ? parseHeader(opts.header) : undefined;
  const project = await loadProject(globals);
  const target = project.dev[name];
  if (!target) {
    const names = Object.keys(project.dev);
    throw new KloopError(`no dev target "${name}" in ${project.configFile}`, {
      hint: names.length ? `dev targets: ${names.join(', ')}` : 'add a dev: section naming the workload and container',
    });
  }
  const { client } = await openConnection(project);
  // shown by a running kloop dev session (and its dashboard)
  const published = hybridPublisher(project.stateDir, 'intercept');
  const json = globals.output === 'json';
  const write = (line: string) => process.stdout.write(`${redact(line)}\n`);
  const notice = (m: string) =>
    json ? write(JSON.stringify({ type: 'notice', message: m })) : log.info(`kloop: ${m}`);
  let lastLine = '';
  const intercept = new Intercept({
    client,
    dialer: createDialer(client.credentials),
    stateDir: project.stateDir,
    target,
    local,
    remote,
    header,
    // a stock Node.js image; clusters that cannot pull the default name their own
    image: opts.agentImage ?? (process.env.KLOOP_INTERCEPT_IMAGE || undefined),
    onNotice: notice,
    ...(opts.gitopsPause ? { gitopsPause: opts.gitopsPause } : {}),
    ...(terminalConfirm() ? { confirm: terminalConfirm() } : {}),
    resync: Boolean(opts.resync),
    onState: (change: string, state: Readonly<InterceptState>) => {
      published.publish(state);
      if (json) return write(JSON.stringify({ type: 'state', change, state: { intercept: state } }));
      const line = summary(state);
      if (line !== lastLine) log.info(`kloop: ${line}`);
      lastLine = line;
    },
  });

  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.once('SIGHUP', stop);
  try {
    await Promise.race([intercept.start(), stopped]);
    await stopped;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('SIGHUP', stop);
    const again = () =>
      notice(
        'still restoring the Service; press Ctrl-C again to abandon (the next kloop intercept or purge restores it)',
      );
    process.once('SIGINT', again);
    try {
      await intercept.stop();
    } finally {
      process.off('SIGINT', again);
      published.clear();
      client.close();
    }
  }
  return 0;
}

function summary(s: Readonly<InterceptState>): string {
  const what = `${s.service ?? s.target}${s.port ? `:${s.port}` : ''}${s.header ? ` (requests with ${s.header})` : ''}`;
  switch (s.phase) {
    case 'starting':
      return `starting the intercept of ${what}${s.agent ? ` (agent pod ${s.agent})` : ''}`;
    case 'intercepting':
      return `intercepting ${what} → 127.0.0.1:${s.local}${s.tunnels.error ? ` · ${s.tunnels.error}` : ''}`;
    case 'restoring':
      return `restoring Service ${s.service ?? ''}`;
    default:
      return `restored Service ${s.service ?? ''}; the agent is removed`;
  }
}
