// Suites that need Docker Engine: in CI a missing engine fails the run (never a silent skip);
// on a laptop without Docker the suite is skipped with this message.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export async function requireDocker(suite: string): Promise<boolean> {
  try {
    await promisify(execFile)('docker', ['info', '--format', '{{.ServerVersion}}']);
    return true;
  } catch {
    if (process.env.CI === 'true' || process.env.CI === '1')
      throw new Error(`Docker Engine is required for ${suite} (CI=true)`);
    return false;
  }
}
