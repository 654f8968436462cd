import type { GlobalOptions } from '../cli/options.ts';
import { notImplemented } from './not-implemented.ts';

export async function run(_globals: GlobalOptions): Promise<number> {
  return notImplemented('deploy', 6);
}
