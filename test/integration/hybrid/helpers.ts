// The hybrid suites' shared setup: a sandbox with the two-service fixture (front calls back over
// HTTP) deployed, a copy of the fixture project to run kloop in, and kloop as a user runs it.
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BIN, type CliResult, repoRoot, runCli, startCli } from '../../helpers/cli.ts';
import { eventually, type Sandbox, startSandbox } from '../../helpers/sandbox.ts';

export { BIN as bin, repoRoot };
const fixture = path.join(repoRoot, 'test/fixtures/hybrid/shop');

export { requireDocker } from '../../helpers/docker.ts';

export interface Shop {
  sandbox: Sandbox;
  /** the project copy kloop runs in */
  dir: string;
  env: NodeJS.ProcessEnv;
  clusterIP(service: string): Promise<string>;
  /** runs a command in the front pod (in-cluster) */
  inFront(script: string): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export async function startShop(): Promise<Shop> {
  const sandbox = await startSandbox();
  const dir = mkdtempSync(path.join(tmpdir(), 'kloop-hybrid-'));
  try {
    cpSync(fixture, dir, { recursive: true });
    await sandbox.kubectl(['apply', '-f', path.join(dir, 'deploy')]);
    await sandbox.kubectl(['rollout', 'status', 'deployment/back', 'deployment/front', '--timeout=90s']);
  } catch (error) {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const env = { ...sandbox.env, CI: 'true', NO_COLOR: '1' };
  return {
    sandbox,
    dir,
    env,
    clusterIP: async (service) =>
      (await sandbox.kubectl(['get', 'svc', service, '-o', 'jsonpath={.spec.clusterIP}'])).stdout.trim(),
    inFront: (script) =>
      sandbox.kubectl(['exec', 'deploy/front', '--', 'sh', '-c', script], { allowFailure: true, timeoutMs: 60_000 }),
    async stop() {
      await sandbox.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One kloop run to completion. */
export function kloop(
  shop: Shop,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  return runCli(args, { cwd: shop.dir, env: { ...shop.env, ...extraEnv }, timeoutMs });
}

export interface Running {
  child: ChildProcess;
  events: Array<Record<string, unknown>>;
  stderr(): string;
  /** the latest `state` event's payload that satisfies `test` */
  waitForState<T>(pick: (state: Record<string, unknown>) => T | undefined, timeoutMs?: number): Promise<T>;
  exited: Promise<number | null>;
}

/** A long-running kloop (intercept) with -o json events on stdout. */
export function startKloop(shop: Shop, args: string[]): Running {
  const { child, lines: events, stderr, exited } = startCli([...args, '-o', 'json'], { cwd: shop.dir, env: shop.env });
  return {
    child,
    events,
    stderr,
    exited,
    waitForState: (pick, timeoutMs = 60_000) =>
      eventually(async () => {
        if (child.exitCode !== null) throw new Error(`kloop exited ${child.exitCode}:\n${stderr()}`);
        for (let i = events.length - 1; i >= 0; i--) {
          const e = events[i]!;
          if (e.type !== 'state') continue;
          const v = pick(e.state as Record<string, unknown>);
          if (v !== undefined) return v;
        }
        return undefined;
      }, timeoutMs),
  };
}
