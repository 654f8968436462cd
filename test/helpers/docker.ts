// Suites that need Docker Engine: in CI a missing engine fails the run (never a silent skip);
// on a laptop without Docker the suite is skipped with this message.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Whether Docker Engine answers (no verdict: callers decide between failing and skipping). */
export async function dockerAvailable(): Promise<boolean> {
  try {
    await promisify(execFile)('docker', ['info', '--format', '{{.ServerVersion}}']);
    return true;
  } catch {
    return false;
  }
}

export async function requireDocker(suite: string): Promise<boolean> {
  if (await dockerAvailable()) return true;
  if (process.env.CI === 'true' || process.env.CI === '1')
    throw new Error(`Docker Engine is required for ${suite} (CI=true)`);
  return false;
}
