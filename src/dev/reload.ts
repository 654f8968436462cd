// Hot reload after a sync batch: `onSync: restart` signals the restart loop kloop wrapped around the
// container's command (see dev-patch.ts), `onSync: { exec }` runs a command in the container.
// Batches arriving while a reload runs are folded into one more reload afterwards.
import { execConnector, type PodRef } from '../kube/exec.ts';
import type { Dialer } from '../kube/streams.ts';
import type { ReloadStatus } from './store.ts';

/** The name the restart loop runs under (`sh -c <loop> kloop-restart ...`): visible in /proc/1/cmdline. */
export const RESTART_MARK = 'kloop-restart';

const RESTART_COMMAND = `if grep -q ${RESTART_MARK} /proc/1/cmdline 2>/dev/null; then kill -HUP 1; else echo "the container's main process is not kloop's restart loop (was the dev patch applied?)" >&2; exit 3; fi`;

export class Reloader {
  private readonly dialer: Dialer;
  private readonly onSync: 'restart' | { exec: string };
  private readonly pod: () => PodRef | null;
  private readonly onStatus: (s: ReloadStatus) => void;
  private running = false;
  private pending = false;
  private readonly status: ReloadStatus;

  constructor(
    dialer: Dialer,
    onSync: 'restart' | { exec: string },
    pod: () => PodRef | null,
    onStatus: (s: ReloadStatus) => void,
  ) {
    this.dialer = dialer;
    this.onSync = onSync;
    this.pod = pod;
    this.onStatus = onStatus;
    this.status = { kind: onSync === 'restart' ? 'restart' : 'exec', state: 'idle', count: 0 };
  }

  trigger(): void {
    if (this.running) {
      this.pending = true;
      return;
    }
    void this.run();
  }

  private report(patch: Partial<ReloadStatus>): void {
    Object.assign(this.status, patch);
    if (patch.error === undefined) delete this.status.error;
    this.onStatus({ ...this.status });
  }

  private async run(): Promise<void> {
    this.running = true;
    do {
      this.pending = false;
      const pod = this.pod();
      if (!pod) break;
      this.report({ state: 'running' });
      const command = this.onSync === 'restart' ? RESTART_COMMAND : this.onSync.exec;
      try {
        const proc = await execConnector(this.dialer, pod)(['sh', '-c', command]);
        proc.stdin.end();
        let output = '';
        const keep = (c: Buffer) => {
          output = (output + c.toString()).slice(-2000);
        };
        proc.stdout.on('data', keep);
        proc.stderr.on('data', keep);
        const exit = await proc.exited;
        this.status.count++;
        if (exit.code === 0) this.report({ state: 'idle', at: new Date().toISOString() });
        else {
          const tail = output.trim().split('\n').slice(-3).join(' ');
          this.report({
            state: 'error',
            at: new Date().toISOString(),
            error: `${this.status.kind === 'restart' ? 'restart' : `"${command}"`} failed (exit ${exit.code ?? '?'})${tail ? `: ${tail}` : ''}`,
          });
        }
      } catch (error) {
        this.report({ state: 'error', error: (error as Error).message });
      }
    } while (this.pending);
    this.running = false;
  }
}
