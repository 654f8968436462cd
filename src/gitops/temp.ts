// Temporary clones and worktrees of a promotion: removed when it ends, also on Ctrl-C or SIGTERM
// (the handlers are installed only while a promotion runs, then the signal takes its usual course).
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runningGit } from './git.ts';

const temps = new Set<string>();

function removeAll(): void {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  temps.clear();
}

process.on('exit', removeAll);

export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => void }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  temps.add(dir);
  return {
    dir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      temps.delete(dir);
    },
  };
}

/** Stops running git processes and waits (up to 3 s) until they are gone. */
async function stopGit(): Promise<void> {
  const children = [...runningGit].filter((c) => c.exitCode === null && c.signalCode === null);
  const gone = children.map((c) => new Promise<void>((resolve) => c.once('close', () => resolve())));
  for (const c of children) c.kill('SIGTERM');
  await Promise.race([Promise.all(gone), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
}

/** Until the returned function is called, SIGINT/SIGTERM first stop git and remove the temporary directories. */
export function cleanOnInterrupt(): () => void {
  const handler = (signal: NodeJS.Signals) => {
    uninstall();
    // a second signal while cleaning up ends the process at once
    process.once(signal, () => process.exit(130));
    void stopGit().then(() => {
      removeAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  const uninstall = () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return uninstall;
}
