// Processes in containers over hijacked Docker connections: `exec` (a new process) and
// `attach` (the container's main process), shaped as the contract's ExecProcess.

import type { Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import type { ExecProcess } from '../../contract.ts';
import { demultiplex } from './demux.ts';
import type { Engine } from './engine.ts';

function stdinOf(socket: Socket): Writable {
  // A wrapper, so a caller ending stdin half-closes the connection (Docker then closes the
  // process's stdin) without destroying the output side.
  return new Writable({
    write(chunk, _encoding, callback) {
      if (socket.destroyed || socket.writableEnded) return callback();
      socket.write(chunk, () => callback());
    },
    final(callback) {
      if (!socket.destroyed && !socket.writableEnded) socket.end();
      callback();
    },
  });
}

function outputsOf(socket: Socket, tty: boolean) {
  const stdout = new PassThrough();
  const stderr = tty ? null : new PassThrough();
  if (tty) socket.pipe(stdout);
  else demultiplex(socket, stdout, stderr!);
  return { stdout, stderr };
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

export async function startExec(
  engine: Engine,
  containerId: string,
  options: { command: string[]; stdin: boolean; tty: boolean },
): Promise<ExecProcess> {
  const execId = await engine.execCreate(containerId, { cmd: options.command, stdin: options.stdin, tty: options.tty });
  const socket = await engine.execStart(execId, options.tty);
  const { stdout, stderr } = outputsOf(socket, options.tty);
  const exited = closed(socket).then(async () => {
    // The connection closes as the process exits; the exit code may lag behind by a moment.
    for (let attempt = 0; attempt < 50; attempt++) {
      const info = await engine.execInspect(execId);
      if (!info.Running && info.ExitCode !== null) return info.ExitCode;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`exec in container ${containerId.slice(0, 12)} did not report an exit code`);
  });
  return {
    stdin: options.stdin ? stdinOf(socket) : null,
    stdout,
    stderr,
    resize: async (width, height) => {
      await engine.execResize(execId, width, height);
    },
    exited,
  };
}

export async function attachMain(
  engine: Engine,
  containerId: string,
  options: { stdin: boolean; tty: boolean },
): Promise<ExecProcess> {
  const socket = await engine.client.hijack(
    'POST',
    `/containers/${encodeURIComponent(containerId)}/attach`,
    undefined,
    {
      stream: true,
      stdin: options.stdin,
      stdout: true,
      stderr: true,
    },
  );
  const { stdout, stderr } = outputsOf(socket, options.tty);
  const exited = engine.waitContainer(containerId).finally(() => socket.destroy());
  return {
    stdin: options.stdin ? stdinOf(socket) : null,
    stdout,
    stderr,
    resize: async (width, height) => {
      await engine.resizeContainer(containerId, width, height);
    },
    exited,
  };
}

/** Runs a command to completion (exec probes); output is capped, the exit code returned. */
export async function runToCompletion(
  engine: Engine,
  containerId: string,
  command: string[],
  timeoutMs: number,
): Promise<{ exitCode: number; output: string }> {
  const proc = await startExec(engine, containerId, { command, stdin: false, tty: false });
  let output = '';
  const collect = (chunk: Buffer) => {
    if (output.length < 4096) output += chunk.toString('utf8');
  };
  proc.stdout.on('data', collect);
  proc.stderr?.on('data', collect);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`command timed out after ${timeoutMs / 1000}s`)), timeoutMs);
  });
  try {
    const exitCode = await Promise.race([proc.exited, timeout]);
    return { exitCode, output };
  } finally {
    clearTimeout(timer);
  }
}
