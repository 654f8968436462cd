// Processes in a pod's container over the exec API (WebSocket, protocol v5 so stdin EOF does not
// lose the exit status): the Connector that sync, reload and `kloop enter` use.
import { PassThrough } from 'node:stream';
import { Exec, type V1Status } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.ts';
import type { Connector, ExitStatus, RemoteProcess } from './sync/process.ts';

export interface PodRef {
  namespace: string;
  pod: string;
  container: string;
}

function exitOf(status: V1Status): ExitStatus {
  if (status.status === 'Success') return { code: 0 };
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = cause?.message ? Number(cause.message) : null;
  return { code: Number.isFinite(code) ? code : null, reason: status.message };
}

export function execConnector(client: KubeClient, ref: PodRef): Connector {
  return (command) => startExec(client, ref, command, {});
}

export interface ExecOptions {
  tty?: boolean;
  /** with tty: the terminal to write to (its size and resize events are forwarded) */
  stdout?: NodeJS.WritableStream;
}

export async function startExec(
  client: KubeClient,
  ref: PodRef,
  command: string[],
  options: ExecOptions,
): Promise<RemoteProcess> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let settle: (s: ExitStatus) => void = () => {};
  const exited = new Promise<ExitStatus>((resolve) => {
    settle = resolve;
  });
  let status: ExitStatus | undefined;
  // client-node sends resize events for the stream it writes to when that stream has rows, columns
  // and 'resize' events: with a TTY it writes straight to the terminal.
  const out = options.tty && options.stdout ? (options.stdout as NodeJS.WriteStream) : stdout;
  const ws = await new Exec(await client.kubeConfig()).exec(
    ref.namespace,
    ref.pod,
    ref.container,
    command,
    out,
    options.tty ? null : stderr,
    stdin,
    options.tty ?? false,
    (s) => {
      status = exitOf(s);
    },
  );
  ws.on('close', () => {
    stdout.end();
    stderr.end();
    settle(status ?? { code: null, reason: 'the exec connection closed without an exit status' });
  });
  ws.on('error', (error) => settle({ code: null, reason: error.message }));
  return {
    stdin,
    stdout,
    stderr,
    exited,
    kill: () => ws.terminate(),
  };
}
