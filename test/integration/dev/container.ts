// A throwaway busybox container for sync tests: real sh, tar, dd, find and stat.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function startContainer(image = 'busybox:1.36'): Promise<string> {
  const { stdout } = await run('docker', [
    'run',
    '-d',
    '--rm',
    '--label',
    'kloop-test=dev-sync',
    image,
    'sleep',
    '3600',
  ]);
  return stdout.trim();
}

export async function removeContainer(id: string): Promise<void> {
  await run('docker', ['rm', '-f', id]).catch(() => {});
}

export async function sh(id: string, script: string): Promise<string> {
  const { stdout } = await run('docker', ['exec', id, 'sh', '-c', script], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** "<type> <mode> <md5 or link target> <path>" per entry below dir, sorted: equal trees print equal. */
export async function remoteTree(id: string, dir: string): Promise<string[]> {
  const out = await sh(
    id,
    `cd ${dir} && find . ! -name . | while IFS= read -r p; do
       if [ -L "$p" ]; then echo "l 777 $(readlink "$p") $p";
       elif [ -d "$p" ]; then echo "d $(stat -c %a "$p") - $p";
       else echo "f $(stat -c %a "$p") $(md5sum < "$p" | cut -d' ' -f1) $p"; fi
     done`,
  );
  return out.split('\n').filter(Boolean).sort();
}
