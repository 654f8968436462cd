// kloop's one way to run a process (builders, hooks, helm, kustomize, git): exec() streams the
// output line by line (builds, hooks); run() collects stdout and stderr (tools whose output is
// data). A missing binary is one KloopError saying what to install; a failure has one shape,
// ProcessFailure: the command, its exit code and the last lines of its stderr.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { KloopError } from '../errors.ts';
import { log } from '../log/logger.ts';

export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** called with each output line (stdout and stderr together, in arrival order) */
  onLine?: (line: string) => void;
  /** bytes written to stdin */
  input?: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  /** stdout and stderr interleaved, as the user would have seen them */
  output: string;
}

/** A process that ran and failed. */
export class ProcessFailure extends Error {
  readonly command: string;
  readonly args: readonly string[];
  /** null: ended by a signal */
  readonly code: number | null;
  readonly stderr: string;
  constructor(command: string, args: readonly string[], code: number | null, stderr: string) {
    const last = tail(stderr, 3).join(' / ') || 'no output';
    super(`${path.basename(command)} ${args[0] ?? ''} failed (exit ${code ?? 'signal'}): ${last}`);
    this.name = 'ProcessFailure';
    this.command = command;
    this.args = args;
    this.code = code;
    this.stderr = stderr;
  }
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** bytes written to stdin */
  input?: string;
  /** the tool's name in messages (default: the file's base name) */
  tool?: string;
  /** what to do when the binary is missing */
  installHint?: string;
  /** applied to stderr (and so to the failure's message) before anyone sees it: secrets */
  redact?: (text: string) => string;
  /** the child while it runs (an interrupted command waits for its children) */
  onSpawn?: (child: ChildProcess) => void;
}

function notFound(file: string, tool: string, hint: string | undefined, cause: unknown): KloopError {
  return new KloopError(tool === file ? `${file} was not found` : `${tool} was not found (${file})`, {
    cause,
    hint: hint ?? installHint(file),
  });
}

/** Runs `file args` to the end; resolves stdout and stderr, rejects with a ProcessFailure on a non-zero exit. */
export function run(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  log.command(file, args, options.cwd);
  const tool = options.tool ?? path.basename(file);
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    options.onSpawn?.(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    let failed = false;
    child.on('error', (e: NodeJS.ErrnoException) => {
      failed = true;
      reject(e.code === 'ENOENT' || e.code === 'EACCES' ? notFound(file, tool, options.installHint, e) : e);
    });
    // a child that exits before reading its input must not crash kloop with EPIPE
    child.stdin?.on('error', () => {});
    if (options.input !== undefined) child.stdin?.end(options.input);
    child.on('close', (code) => {
      if (failed) return;
      const stdout = Buffer.concat(out).toString('utf8');
      const raw = Buffer.concat(err).toString('utf8');
      const stderr = options.redact ? options.redact(raw) : raw;
      if (code === 0) resolve({ stdout, stderr });
      else reject(new ProcessFailure(file, args, code, stderr));
    });
  });
}

/** Runs `file args`; resolves with the exit code (never rejects for a non-zero exit). */
export function exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  log.command(file, args, options.cwd);
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ? (options.env as NodeJS.ProcessEnv) : process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let output = '';
    const partial = { out: '', err: '' };
    const feed = (which: 'out' | 'err', chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (which === 'out') stdout += text;
      output += text;
      if (!options.onLine) return;
      const lines = (partial[which] + text).split(/\r?\n|\r/);
      partial[which] = lines.pop() ?? '';
      for (const line of lines) options.onLine(plain(line));
    };
    child.stdout?.on('data', (c: Buffer) => feed('out', c));
    child.stderr?.on('data', (c: Buffer) => feed('err', c));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') reject(notFound(file, path.basename(file), undefined, e));
      else reject(e);
    });
    if (options.input !== undefined && child.stdin) child.stdin.end(options.input);
    child.on('close', (code, signal) => {
      if (options.onLine) {
        if (partial.out) options.onLine(plain(partial.out));
        if (partial.err) options.onLine(plain(partial.err));
      }
      resolve({ code: code ?? (signal ? 128 : 1), stdout, output });
    });
  });
}

// The package that provides each builder, for the one message a missing builder gives.
const packages: Record<string, string> = {
  buildah: 'buildah',
  podman: 'podman',
  docker: 'docker.io',
  kind: '',
  k3d: '',
};

/** What to install when `file` is missing: the Debian/Ubuntu package when there is one. */
export function installHint(file: string): string {
  const name = file.split('/').pop() ?? file;
  const pkg = packages[name];
  if (pkg)
    return `install it: apt-get install ${pkg} on Debian/Ubuntu (dnf install ${name === 'docker' ? 'moby-engine' : pkg} on Fedora), or set its path under tools: in kloop.yaml (kloop doctor checks tools)`;
  return 'install it, or set its path under tools: in kloop.yaml (run kloop doctor to check tools)';
}

const ansi = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** A tool's output line without colour codes. */
export function plain(line: string): string {
  return line.replace(ansi, '');
}

/** The last `n` non-empty lines of a tool's output, for error details. */
export function tail(output: string, n = 15): string[] {
  return output
    .split(/\r?\n|\r/)
    .map(plain)
    .filter((l) => l.trim() !== '')
    .slice(-n);
}
