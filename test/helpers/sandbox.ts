// The shared sandbox harness: a kloop-sandbox on a free port with its own kubeconfig, kubectl
// cache and HOME in a temp dir, plus runners for the real kubectl and helm. stop() removes the
// server, its containers and the dir; it also runs at process exit if a test forgot it.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '../..');
const cli = join(repoRoot, 'sandbox/cli.ts');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  /** return a failed run instead of throwing */
  allowFailure?: boolean;
  timeoutMs?: number;
  cwd?: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): Record<string, unknown>;
}

export interface Sandbox {
  kubeconfig: string;
  /** environment for subprocesses: KUBECONFIG, HOME and helm dirs inside the temp dir */
  env: NodeJS.ProcessEnv;
  dir: string;
  port: number;
  token: string;
  ca: string;
  kubectl(args: string[], options?: RunOptions): Promise<RunResult>;
  helm(args: string[], options?: RunOptions): Promise<RunResult>;
  /** a raw authenticated HTTPS request to the API server */
  request(method: string, path: string, body?: string | Buffer, headers?: Record<string, string>): Promise<ApiResponse>;
  stop(): Promise<void>;
}

export function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: RunOptions = {},
): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (result.code !== 0 && !options.allowFailure) {
        fail(new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${stderr}${stdout}`));
      } else done(result);
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

const live = new Set<{ kubeconfig: string; dir: string }>();
function cleanupAll(): void {
  // Last resort when a test process ends before stop(): same as `kloop-sandbox down`, synchronously.
  for (const s of live) {
    try {
      execFileSync(process.execPath, [cli, 'down', '--kubeconfig', s.kubeconfig], { stdio: 'ignore', timeout: 60_000 });
    } catch {
      // nothing more can be done at exit
    }
    rmSync(s.dir, { recursive: true, force: true });
  }
  live.clear();
}
process.on('exit', cleanupAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    cleanupAll();
    process.kill(process.pid, signal);
  });
}

export async function startSandbox(options: { env?: NodeJS.ProcessEnv } = {}): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'kloop-sandbox-test-'));
  const home = join(dir, 'home');
  mkdirSync(home);
  const kubeconfig = join(dir, 'kubeconfig');
  const entry = { kubeconfig, dir };
  live.add(entry);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KUBECONFIG: kubeconfig,
    HOME: home,
    HELM_CACHE_HOME: join(home, '.cache/helm'),
    HELM_CONFIG_HOME: join(home, '.config/helm'),
    HELM_DATA_HOME: join(home, '.local/share/helm'),
    ...options.env,
  };
  try {
    await run(process.execPath, [cli, 'up', '--kubeconfig', kubeconfig], env, { timeoutMs: 120_000 });
  } catch (error) {
    live.delete(entry);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const stateDir = `${kubeconfig}.sandbox`;
  const info = JSON.parse(readFileSync(join(stateDir, 'server.json'), 'utf8')) as { port: number };
  const token = readFileSync(join(stateDir, 'token'), 'utf8').trim();
  const ca = readFileSync(join(stateDir, 'tls/ca.crt'), 'utf8');
  const cacheDir = join(dir, 'kube-cache');
  let stopped: Promise<void> | undefined;

  return {
    kubeconfig,
    env,
    dir,
    port: info.port,
    token,
    ca,
    kubectl: (args, options) => run('kubectl', ['--cache-dir', cacheDir, ...args], env, options),
    helm: (args, options) => run('helm', args, env, options),
    request: (method, path, body, headers = {}) =>
      new Promise((done, fail) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port: info.port,
            method,
            path,
            ca,
            headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...headers },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              done({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
            });
          },
        );
        req.on('error', fail);
        req.end(body);
      }),
    stop() {
      stopped ??= (async () => {
        try {
          await run(process.execPath, [cli, 'down', '--kubeconfig', kubeconfig], env, { timeoutMs: 120_000 });
        } finally {
          live.delete(entry);
          rmSync(dir, { recursive: true, force: true });
        }
      })();
      return stopped;
    },
  };
}

/** Polls `check` until it returns a truthy value (or throws the last error after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw last ?? new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
