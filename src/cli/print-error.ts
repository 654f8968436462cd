import { formatLocation, KloopError } from '../errors.ts';
import { colors, log } from '../log/logger.ts';
import { redact } from '../log/redact.ts';

/** Prints a failure: a KloopError as one clear message (+ details and hint), anything else as a bug. */
export function printError(error: unknown, debug: boolean): void {
  if (error instanceof KloopError) {
    const where = error.location ? `${formatLocation(error.location)}: ` : '';
    log.error(`${where}${error.message}`);
    for (const detail of error.details) log.info(`  ${detail}`);
    if (error.hint) log.info(`  ${colors.dim('hint:')} ${error.hint}`);
    if (debug && error.stack) log.info(colors.dim(redact(error.stack)));
    if (debug && error.cause instanceof Error && error.cause.stack)
      log.info(colors.dim(`caused by: ${error.cause.stack}`));
    return;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  log.error(`unexpected failure: ${err.message}`);
  if (debug) log.info(colors.dim(err.stack ?? ''));
  else log.info(`  ${colors.dim('hint:')} this is a bug in kloop; run again with --debug and report the output`);
}
