import { KloopError } from '../errors.ts';

/** Commands whose issue has not landed yet say so clearly and exit 1. */
export function notImplemented(command: string, issue: number): never {
  throw new KloopError(`kloop ${command} is not implemented yet`, {
    hint: `it is planned (issue ${issue}); see README.md for what works today`,
  });
}
