// The one seam between the sync engine and a container: a process started in the container with
// its three standard streams. A Kubernetes exec stream and `docker exec -i` both fit it, so the
// engine is tested against a real busybox container without a cluster.
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

export interface ExitStatus {
  /** null when the connection dropped before the process reported an exit code */
  code: number | null;
  /** what the transport knows about why it ended (connection error, status message) */
  reason?: string;
}

export interface RemoteProcess {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  exited: Promise<ExitStatus>;
  /** ends the process or connection without waiting for it */
  kill(): void;
}

/** Starts a command in the target container. */
export type Connector = (command: string[]) => Promise<RemoteProcess>;

/** `docker exec -i <container> ...`: the transport of the tests and the local benchmark. */
export function dockerConnector(container: string, docker = 'docker'): Connector {
  return async (command) => {
    const child = spawn(docker, ['exec', '-i', container, ...command], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<ExitStatus>((resolve) => {
      child.on('error', (error) => resolve({ code: null, reason: error.message }));
      child.on('close', (code, signal) => resolve({ code, reason: signal ? `killed by ${signal}` : undefined }));
    });
    // Writing to a process that is gone raises EPIPE on stdin; the exit status reports it instead.
    child.stdin.on('error', () => {});
    return {
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      exited,
      kill: () => child.kill('SIGKILL'),
    };
  };
}
