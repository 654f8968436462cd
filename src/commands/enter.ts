// kloop enter [target] [-- cmd...]: an interactive terminal in the dev container (TTY with
// resize when kloop runs in one), with the shell the container has.
import type { GlobalOptions } from '../cli/options.ts';
import { loadProject } from '../config/load.ts';
import { openConnection } from '../deploy/deploy.ts';
import { createDialer, wsExec } from '../kube/streams.ts';
import { PodTracker } from '../kube/pod-tracker.ts';
import { KloopError } from '../errors.ts';

// bash when the image has it, else sh: "the shell the container has"
const SHELL = ['sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi'];

export async function run(globals: GlobalOptions, name?: string, cmd: string[] = []): Promise<number> {
  // `kloop enter -- cmd`: the parser hands the first word after -- to [target]; it belongs to cmd.
  const dashes = process.argv.indexOf('--');
  if (name !== undefined && dashes >= 0 && process.argv[dashes + 1] === name) {
    cmd = [name, ...cmd];
    name = undefined;
  }
  const project = await loadProject(globals);
  const targets = Object.keys(project.dev);
  if (targets.length === 0) {
    throw new KloopError(`${project.configFile} has no dev targets to enter`, {
      hint: 'add a dev: section naming the workload and container',
    });
  }
  if (name && !project.dev[name]) {
    throw new KloopError(`no dev target "${name}" in ${project.configFile}`, {
      hint: `dev targets: ${targets.join(', ')}`,
    });
  }
  if (!name && targets.length > 1) {
    throw new KloopError(`${project.configFile} has ${targets.length} dev targets: name one`, {
      hint: `kloop enter <${targets.join('|')}>`,
    });
  }
  const target = project.dev[name ?? targets[0]!]!;
  const { client } = await openConnection(project);
  const tracker = new PodTracker(client, target, () => {});
  try {
    await tracker.start();
    const pod = await tracker.waitForPod(60_000);
    const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    const dialer = createDialer(client.credentials);
    const proc = await wsExec(dialer, pod, cmd.length ? cmd : SHELL, { tty, terminal: process.stdout });
    if (tty) process.stdin.setRawMode(true);
    process.stdin.pipe(proc.stdin);
    if (!tty) proc.stdout.pipe(process.stdout);
    proc.stderr.pipe(process.stderr);
    const exit = await proc.exited;
    process.stdin.unpipe(proc.stdin);
    if (tty) process.stdin.setRawMode(false);
    process.stdin.pause();
    if (exit.code === null)
      throw new KloopError(`the terminal in ${pod.pod} ended: ${exit.reason ?? 'connection lost'}`);
    return exit.code;
  } finally {
    tracker.stop();
    client.close();
  }
}
