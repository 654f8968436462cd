// kloop promote --env NAME [--image NAME=REF ...] [--from ENV] [--dry-run] [--allow-dirty]
import type { GlobalOptions } from '../cli/options.ts';
import { emit } from '../log/events.ts';
import { loadProject } from '../config/load.ts';
import { UsageError } from '../errors.ts';
import { colors, log } from '../log/logger.ts';
import { counts } from '../gitops/summary.ts';
import { type PromoteResult, promote } from '../gitops/promote.ts';
import { parseImages } from './render.ts';

export interface PromoteCommandOptions {
  image?: string[];
  from?: string;
  dryRun?: boolean;
  allowDirty?: boolean;
  allowNondeterministic?: boolean;
}

export function printJson(result: PromoteResult): void {
  const { summary: _s, ...rest } = result;
  process.stdout.write(`${JSON.stringify({ ...rest, summary: result.summary }, null, 2)}\n`);
}

export async function run(globals: GlobalOptions, opts: PromoteCommandOptions = {}): Promise<number> {
  if (!globals.env) throw new UsageError('kloop promote needs --env NAME', 'e.g. kloop promote --env staging');
  if (opts.from === globals.env) throw new UsageError(`--from ${opts.from} is the environment being promoted`);
  const images = parseImages(opts.image ?? []);
  const project = await loadProject(globals);
  const result = await promote(project, {
    mode: 'promote',
    images,
    from: opts.from,
    dryRun: Boolean(opts.dryRun),
    allowDirty: Boolean(opts.allowDirty),
    allowNondeterministic: Boolean(opts.allowNondeterministic),
    env: process.env,
    // --from renders another commit's kloop.yaml with this environment's values
    loadAt: (configFile) => loadProject({ ...globals, config: configFile }),
  });
  if (globals.output === 'json') {
    printJson(result);
    return 0;
  }
  if (globals.output === 'jsonl') {
    // the steps went out as message events; the result is the last event
    emit({ type: 'result', command: 'promote', ok: true, data: result });
    return 0;
  }
  if (!result.changed) {
    log.success(`nothing to promote: ${globals.env} already holds this render; no commit, no push`);
    return 0;
  }
  if (opts.dryRun) {
    process.stdout.write(result.summary);
    log.info(colors.dim(`dry run: ${counts(result.changes)}; nothing was pushed`));
    return 0;
  }
  if (result.pullRequest) {
    log.success(`pull request ${result.pullRequest.action}: ${result.pullRequest.url}`);
    process.stdout.write(`${result.pullRequest.url}\n`);
  } else if (result.manual) {
    log.info(`${result.pushed ? 'pushed' : 'branch up to date'}: ${result.branch}`);
    log.info(result.manual);
  }
  return 0;
}
