// kloop connect [target] -- <command...>: runs a local process with the target container's
// environment and every Service of the namespace reachable (hybrid). Exits with the child's code.
import type { GlobalOptions } from '../cli/options.ts';
import { loadProject } from '../config/load.ts';
import { openConnection } from '../deploy/deploy.ts';
import { createDialer } from '../kube/streams.ts';
import { KloopError, UsageError } from '../errors.ts';
import { hybridPublisher } from '../hybrid/published.ts';
import { type ConnectState, runConnect } from '../hybrid/connect.ts';
import { describeServices } from '../hybrid/describe.ts';
import { log } from '../log/logger.ts';
import { redact } from '../log/redact.ts';

export interface ConnectCommandOptions {
  hosts?: boolean;
}

export async function run(
  globals: GlobalOptions,
  name?: string,
  cmd: string[] = [],
  opts: ConnectCommandOptions = {},
): Promise<number> {
  // `kloop connect -- cmd args`: the parser hands the first word after -- to [target]; it belongs to cmd.
  const dashes = process.argv.indexOf('--');
  if (name !== undefined && dashes >= 0 && process.argv[dashes + 1] === name) {
    cmd = [name, ...cmd];
    name = undefined;
  }
  if (cmd.length === 0)
    throw new UsageError('kloop connect needs the local command to run', 'e.g. kloop connect web -- npm start');
  const project = await loadProject(globals);
  const targets = Object.keys(project.dev);
  if (name && !project.dev[name]) {
    throw new KloopError(`no dev target "${name}" in ${project.configFile}`, {
      hint: targets.length
        ? `dev targets: ${targets.join(', ')}`
        : 'add a dev: section naming the workload and container',
    });
  }
  const target = name ? project.dev[name] : targets.length === 1 ? project.dev[targets[0]!] : undefined;
  const namespace = target?.namespace ?? project.cluster.namespace;
  const { client } = await openConnection(project);
  // shown by a running kloop dev session (and its dashboard)
  const published = hybridPublisher(project.stateDir, 'connect');
  const dialer = createDialer(client.credentials);
  const json = globals.output === 'json';
  const servicesOnly = !target && targets.length > 1;
  // stdout belongs to the child: kloop's own lines (and -o json events) go to stderr
  const emit = (line: string) => process.stderr.write(`${redact(line)}\n`);
  const notice = (m: string) => (json ? emit(JSON.stringify({ type: 'notice', message: m })) : log.info(`kloop: ${m}`));

  let requestStop: (s: NodeJS.Signals) => void = () => {};
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    requestStop = resolve;
  });
  // Ctrl-C in a terminal reaches the child directly (same process group); other signals are passed on.
  const onInt = () => {
    if (!process.stdin.isTTY) requestStop('SIGINT');
  };
  const onTerm = () => requestStop('SIGTERM');
  const onHup = () => requestStop('SIGHUP');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onHup);
  if (servicesOnly)
    notice(
      `no dev target named: the Services only, no container environment (name one of ${targets.join(', ')} for its)`,
    );
  try {
    return await runConnect({
      client,
      dialer,
      namespace,
      target,
      command: cmd,
      hosts: Boolean(opts.hosts),
      baseEnv: process.env,
      stopRequested,
      onNotice: notice,
      onState: (change: string, state: Readonly<ConnectState>) => {
        published.publish(state);
        if (json) emit(JSON.stringify({ type: 'state', change, state: { connect: state } }));
        else if (change === 'process started') {
          log.info(
            `kloop: ${state.target ? `environment of ${state.target} (pod ${state.pod}), ` : ''}namespace ${namespace}, proxy ${state.proxy}`,
          );
          for (const line of describeServices(state.services)) log.info(`kloop:   ${line}`);
        }
      },
    });
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    process.off('SIGHUP', onHup);
    published.clear();
    client.close();
  }
}
