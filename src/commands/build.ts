// kloop build [image...]: builds images tagged by their inputs, skipping unchanged ones.
// -o json prints {"images": {"<name>": {ref, tag, digest?, skipped}}} on stdout; everything
// human goes to stderr.
import { buildImages } from '../images/build.ts';
import type { GlobalOptions } from '../cli/options.ts';
import { loadProject } from '../config/load.ts';
import { UsageError } from '../errors.ts';
import { log } from '../log/logger.ts';
import { redactValue } from '../log/redact.ts';

export interface BuildCommandOptions {
  force?: boolean;
  /** commander's --no-load: false when given */
  load?: boolean;
  parallel?: string;
}

export function parseParallel(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 32)
    throw new UsageError(`--parallel must be a number from 1 to 32, not "${value}"`);
  return n;
}

export async function run(
  globals: GlobalOptions,
  images: string[] = [],
  opts: BuildCommandOptions = {},
): Promise<number> {
  const parallel = parseParallel(opts.parallel);
  const project = await loadProject(globals);
  if (Object.keys(project.images).length === 0) log.info(`no images: in ${project.configFile}; nothing to build`);
  const built = await buildImages(project, images, {
    force: Boolean(opts.force),
    load: opts.load !== false,
    ...(parallel ? { parallel } : {}),
  });
  if (globals.output === 'json') {
    process.stdout.write(`${JSON.stringify(redactValue({ images: built }), null, 2)}\n`);
  } else {
    const n = Object.values(built);
    if (n.length)
      log.info(
        `${n.length} image(s): ${n.filter((b) => !b.skipped).length} built, ${n.filter((b) => b.skipped).length} unchanged`,
      );
  }
  return 0;
}
