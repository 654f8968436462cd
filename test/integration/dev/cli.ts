// Running the kloop CLI in the dev tests: `kloop dev -o json` as a child whose JSON lines are
// collected, and one-shot commands.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { repoRoot } from './sandbox.ts';

export const bin = path.join(repoRoot, 'src/cli/bin.ts');

export interface Running {
  child: ChildProcess;
  lines: unknown[];
  stderr: () => string;
  exited: Promise<number | null>;
}

export function startDev(dir: string, kubeconfig: string, namespace = 'default', extra: string[] = []): Running {
  const child = spawn(process.execPath, [bin, 'dev', '-o', 'json', '-n', namespace, ...extra], {
    cwd: dir,
    env: { ...process.env, KUBECONFIG: kubeconfig, CI: 'true', NO_COLOR: '1', HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: unknown[] = [];
  let rest = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => {
    rest += c.toString();
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      lines.push(JSON.parse(rest.slice(0, nl)));
      rest = rest.slice(nl + 1);
      nl = rest.indexOf('\n');
    }
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, lines, stderr: () => err, exited };
}

// biome-ignore lint/suspicious/noExplicitAny: JSON lines
export type Line = any;

export async function until(what: string, r: Running, ok: (l: Line) => boolean, ms = 60_000): Promise<Line> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const hit = r.lines.find(ok);
    if (hit) return hit;
    if (r.child.exitCode !== null) break;
    await delay(100);
  }
  assert.fail(`${what}; kloop dev stderr:\n${r.stderr()}\nlast line: ${JSON.stringify(r.lines.at(-1))}`);
}

export async function eventually(
  what: string,
  fn: () => Promise<string>,
  ok: (v: string) => boolean,
  ms = 15_000,
): Promise<string> {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    last = await fn().catch((e) => `error ${e}`);
    if (ok(last)) return last;
    await delay(100);
  }
  assert.fail(`${what}: last ${last}`);
}

/** Runs kloop to its end (or SIGINT after `ms`, for following commands). */
export function runKloop(
  dir: string,
  kubeconfig: string,
  args: string[],
  ms?: number,
  namespace = 'default',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, '-n', namespace, ...args], {
      cwd: dir,
      env: { ...process.env, KUBECONFIG: kubeconfig, CI: 'true', NO_COLOR: '1', HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = ms ? setTimeout(() => child.kill('SIGINT'), ms) : undefined;
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export const get = async (port: number, file: string) => {
  const res = await fetch(`http://127.0.0.1:${port}/${file}`, { signal: AbortSignal.timeout(3000) });
  return `${res.status} ${await res.text()}`;
};
