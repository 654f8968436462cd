// kloop logs [target|app]: the logs of a dev target's pod, or of every workload of an app,
// following restarts and replacements (the same follower `kloop dev` uses).
import type { GlobalOptions } from '../cli/options.ts';
import { loadProject } from '../config/load.ts';
import { openConnection } from '../deploy/deploy.ts';
import { logSources } from '../dev/log-sources.ts';
import { LogFollower } from '../dev/logs.ts';
import { PodTracker } from '../kube/pod-tracker.ts';
import { attachView } from '../dev/view.ts';
import { createStore, newTarget } from '../dev/store.ts';
import { KloopError } from '../errors.ts';
import { loggerOptions } from '../log/logger.ts';
import { redact } from '../log/redact.ts';

export interface LogsCommandOptions {
  follow?: boolean;
  tail?: string;
  previous?: boolean;
}

export async function run(globals: GlobalOptions, name?: string, opts: LogsCommandOptions = {}): Promise<number> {
  const project = await loadProject(globals);
  const { client } = await openConnection(project);
  const follow = opts.follow !== false;
  const tailLines = opts.tail === undefined ? 100 : Number(opts.tail);
  if (!Number.isInteger(tailLines) || tailLines < 0)
    throw new KloopError(`--tail ${opts.tail}: expected a number of lines`);
  const specs = await logSources(client, project, name);
  const write = (line: string) => process.stdout.write(`${redact(line)}\n`);
  const store = createStore({
    project: project.name,
    startedAt: new Date().toISOString(),
    phase: 'running',
    targets: Object.fromEntries(specs.map((s) => [s.name, newTarget(s.name, s.namespace)])),
  });
  const view = attachView(store, {
    json: globals.output === 'json',
    color: loggerOptions().color && globals.color,
    write,
  });
  const trackers: PodTracker[] = [];
  const followers: LogFollower[] = [];
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  process.once('SIGINT', () => stop());
  process.once('SIGTERM', () => stop());
  try {
    const runs = specs.map(async (spec) => {
      const follower = new LogFollower(client, spec.name, (line) => store.dispatch({ type: 'log', line }));
      followers.push(follower);
      let first = true;
      const tracker = new PodTracker(client, spec, (pod) => {
        if (!follow || !pod) return;
        void follower.follow(pod, pod.containers, {
          tailLines: first ? tailLines : undefined,
          previous: opts.previous,
        });
        first = false;
      });
      tracker.readyOnly = false;
      trackers.push(tracker);
      await tracker.start();
      const pod = await tracker.waitForPod(30_000);
      if (!follow) await follower.follow(pod, pod.containers, { tailLines, follow: false, previous: opts.previous });
    });
    if (follow) {
      await Promise.race([Promise.all(runs), stopped]);
      await stopped;
    } else await Promise.all(runs);
  } finally {
    for (const t of trackers) t.stop();
    for (const f of followers) f.stop();
    view.close();
    client.close();
  }
  return 0;
}
