import type { GlobalOptions } from '../cli/options.ts';
import { notImplemented } from './not-implemented.ts';

export async function useContext(_globals: GlobalOptions): Promise<number> {
  return notImplemented('use context', 2);
}

export async function useNamespace(_globals: GlobalOptions): Promise<number> {
  return notImplemented('use namespace', 2);
}
