// Running the kloop CLI (`node src/cli/bin.ts`) as a user does, for every suite: to its end with
// its output collected, or in the background with its `-o json` lines parsed as they come.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(repoRoot, 'src/cli/bin.ts');

export interface CliResult {
  /** null when a signal ended it */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  /** the whole environment of the process (callers start from process.env or a sandbox's env) */
  env: NodeJS.ProcessEnv;
  /** stdin text; default: stdin is closed (ignored) */
  input?: string;
  /** Ctrl-C after this long (for following commands such as `kloop logs -f`) */
  sigintAfterMs?: number;
  /** SIGKILL and reject after this long */
  timeoutMs?: number;
}

/** Runs `kloop ...args` to its end. Rejects only when it cannot start or outlives `timeoutMs`. */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (options.input !== undefined) {
      child.stdin!.on('error', () => {});
      child.stdin!.end(options.input);
    }
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const sigint = options.sigintAfterMs ? setTimeout(() => child.kill('SIGINT'), options.sigintAfterMs) : undefined;
    const timeout = options.timeoutMs
      ? setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`kloop ${args.join(' ')} did not end within ${options.timeoutMs} ms:\n${stderr}`));
        }, options.timeoutMs)
      : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(sigint);
      clearTimeout(timeout);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `kloop ...args` to its end, blocking (for suites that serve nothing while it runs). */
export function runCliSync(args: readonly string[], options: Pick<CliOptions, 'cwd' | 'env'>): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: options.cwd, env: options.env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// biome-ignore lint/suspicious/noExplicitAny: a JSON line as the test reads it
export type Line = any;

export interface Running {
  child: ChildProcess;
  /** every JSON line printed so far, in order */
  lines: Line[];
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `kloop ...args` in the background; each stdout line is parsed as JSON (run it with -o json). */
export function startCli(args: readonly string[], options: Pick<CliOptions, 'cwd' | 'env'>): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  let rest = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => {
    rest += c.toString();
    for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n')) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      if (line.trim()) lines.push(JSON.parse(line));
    }
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, lines, stderr: () => err, exited };
}

/** The first line `ok` accepts; fails with kloop's stderr and last line when it exits or `ms` passes first. */
export async function until(what: string, r: Running, ok: (l: Line) => boolean, ms = 60_000): Promise<Line> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const hit = r.lines.find(ok);
    if (hit) return hit;
    if (r.child.exitCode !== null) break;
    await delay(100);
  }
  assert.fail(`${what}; kloop stderr:\n${r.stderr()}\nlast line: ${JSON.stringify(r.lines.at(-1))}`);
}
