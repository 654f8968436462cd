// kloop deploy [app...]: build + render + server-side apply + wait for readiness, dependencies first.
import type { GlobalOptions } from '../cli/options.ts';
import { loadProject } from '../config/load.ts';
import { deployProject, type DeploySummary } from '../deploy/deploy.ts';
import { emit } from '../log/events.ts';
import { log } from '../log/logger.ts';
import { redactValue } from '../log/redact.ts';
import { parseImages } from './render.ts';

export interface DeployCommandOptions {
  image?: string[];
  skipBuild?: boolean;
  forceConflicts?: boolean;
  wait?: boolean;
  timeout?: string;
}

function count(summary: DeploySummary): { applied: number; unchanged: number; pruned: number } {
  const total = { applied: 0, unchanged: 0, pruned: 0 };
  for (const app of Object.values(summary.apps)) {
    total.applied += app.applied.length;
    total.unchanged += app.unchanged.length;
    total.pruned += app.pruned.length;
  }
  return total;
}

export async function run(
  globals: GlobalOptions,
  apps: string[] = [],
  opts: DeployCommandOptions = {},
): Promise<number> {
  const images = parseImages(opts.image ?? []);
  const project = await loadProject(globals);
  const summary = await deployProject(project, {
    apps,
    images,
    skipBuild: Boolean(opts.skipBuild),
    forceConflicts: Boolean(opts.forceConflicts),
    wait: opts.wait !== false,
    timeout: opts.timeout,
  });
  if (globals.output === 'jsonl') {
    emit({ type: 'result', command: 'deploy', ok: true, data: summary });
  } else if (globals.output === 'json') {
    process.stdout.write(`${JSON.stringify(redactValue(summary), null, 2)}\n`);
  } else {
    const c = count(summary);
    log.success(
      `deployed ${project.name} to ${summary.context} (namespace ${summary.namespace}): ${c.applied} applied, ${c.unchanged} unchanged, ${c.pruned} pruned`,
    );
  }
  return 0;
}
