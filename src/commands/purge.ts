// kloop purge [app...]: delete everything kloop deployed for this project and environment, and nothing else.
import type { GlobalOptions } from '../cli/options.ts';
import { loadProject } from '../config/load.ts';
import { purgeProject } from '../deploy/purge.ts';
import { log } from '../log/logger.ts';
import { redactValue } from '../log/redact.ts';

export async function run(
  globals: GlobalOptions,
  apps: string[] = [],
  opts: { resync?: boolean } = {},
): Promise<number> {
  const project = await loadProject(globals);
  const summary = await purgeProject(project, { apps, resync: Boolean(opts.resync) });
  if (globals.output === 'json') {
    process.stdout.write(`${JSON.stringify(redactValue(summary), null, 2)}\n`);
  } else {
    const deleted = Object.values(summary.apps).reduce((n, a) => n + a.deleted.length, 0);
    const apps = Object.keys(summary.apps);
    log.success(
      apps.length
        ? `purged ${project.name}: ${deleted} objects deleted from ${apps.join(', ')}`
        : `nothing to purge: kloop has no record of ${project.name} in this environment`,
    );
  }
  return 0;
}
