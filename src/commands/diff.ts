// kloop diff --env NAME: what promote would change in the GitOps repository. Exit 0: no change;
// exit 3: changes (so scripts can tell them apart from a failure, exit 1).
import type { GlobalOptions } from '../cli/options.ts';
import { loadProject } from '../config/load.ts';
import { UsageError } from '../errors.ts';
import { colors, log } from '../log/logger.ts';
import { promote } from '../gitops/promote.ts';
import { counts } from '../gitops/summary.ts';
import { printJson } from './promote.ts';

export const EXIT_CHANGES = 3;

export async function run(globals: GlobalOptions): Promise<number> {
  if (!globals.env) throw new UsageError('kloop diff needs --env NAME', 'e.g. kloop diff --env staging');
  const project = await loadProject(globals);
  const result = await promote(project, { mode: 'diff', env: process.env });
  if (globals.output === 'json') printJson(result);
  else if (result.changed) {
    process.stdout.write(result.summary);
    log.info(colors.dim(`${globals.env}: ${counts(result.changes)}`));
  } else log.success(`no changes: ${globals.env} already holds this render`);
  return result.changed ? EXIT_CHANGES : 0;
}
