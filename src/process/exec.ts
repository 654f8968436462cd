// Runs a builder tool (docker, buildah, podman, kind, k3d, a custom command), streaming its
// output line by line and keeping the tail for the error message when it fails.
import { spawn } from 'node:child_process';
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
      if (e.code === 'ENOENT') {
        reject(
          new KloopError(`${file} was not found`, {
            cause: e,
            hint: installHint(file),
          }),
        );
      } else reject(e);
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
