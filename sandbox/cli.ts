#!/usr/bin/env node
// kloop-sandbox: up / down / status for the Docker-backed Kubernetes API sandbox.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import type { ServerInfo } from './main.ts';

const CONTEXT = 'kloop-sandbox';
const usage = `usage:
  kloop-sandbox up --kubeconfig FILE [--port N]   start the sandbox (no-op when it is up)
  kloop-sandbox down --kubeconfig FILE            stop it and remove its containers
  kloop-sandbox status --kubeconfig FILE          print whether it is up`;

class UserError extends Error {}

// yaml is needed only to merge into an existing kubeconfig; JSON is valid YAML for writing.
const require = createRequire(import.meta.url);
const parseYaml = (text: string): unknown => (require('yaml') as typeof import('yaml')).parse(text);
const stringifyYaml = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export function stateDirOf(kubeconfig: string): string {
  return `${resolve(kubeconfig)}.sandbox`;
}

function readInfo(stateDir: string): ServerInfo | undefined {
  try {
    return JSON.parse(readFileSync(`${stateDir}/server.json`, 'utf8')) as ServerInfo;
  } catch {
    return undefined;
  }
}

function readInstance(stateDir: string): string | undefined {
  try {
    return readFileSync(`${stateDir}/instance`, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function answers(port: number, ca: string): Promise<boolean> {
  return new Promise((done) => {
    const req = request({ host: '127.0.0.1', port, path: '/version', ca, timeout: 2000 }, (res) => {
      res.resume();
      done(res.statusCode === 200);
    });
    req.on('error', () => done(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function running(stateDir: string): Promise<ServerInfo | undefined> {
  const info = readInfo(stateDir);
  if (!info || !alive(info.pid)) return undefined;
  const ca = readFileSync(`${stateDir}/tls/ca.crt`, 'utf8');
  return (await answers(info.port, ca)) ? info : undefined;
}

function mainScript(): string {
  const here = fileURLToPath(import.meta.url);
  return resolve(dirname(here), here.endsWith('.ts') ? 'main.ts' : 'main.js');
}

type Kubeconfig = {
  apiVersion?: string;
  kind?: string;
  clusters?: Array<{ name: string }>;
  users?: Array<{ name: string }>;
  contexts?: Array<{ name: string }>;
  'current-context'?: string;
  [key: string]: unknown;
};

function readKubeconfig(file: string): Kubeconfig {
  if (!existsSync(file)) return {};
  const text = readFileSync(file, 'utf8');
  try {
    return (parseYaml(text) as Kubeconfig | null) ?? {};
  } catch (error) {
    throw new UserError(`${file}: not a kubeconfig (${(error as Error).message}); pass another --kubeconfig path`);
  }
}

/** Adds (or replaces) the kloop-sandbox cluster, user and context, keeping everything else. */
function writeKubeconfig(file: string, port: number, ca: string, token: string): void {
  const config = readKubeconfig(file);
  const others = <T extends { name: string }>(list: T[] | undefined) => (list ?? []).filter((e) => e.name !== CONTEXT);
  const next: Kubeconfig = {
    ...config,
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      ...others(config.clusters),
      {
        name: CONTEXT,
        cluster: {
          server: `https://127.0.0.1:${port}`,
          'certificate-authority-data': Buffer.from(ca).toString('base64'),
        },
      } as { name: string },
    ],
    users: [...others(config.users), { name: CONTEXT, user: { token } } as { name: string }],
    contexts: [
      ...others(config.contexts),
      { name: CONTEXT, context: { cluster: CONTEXT, user: CONTEXT, namespace: 'default' } } as { name: string },
    ],
    'current-context': CONTEXT,
  };
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, stringifyYaml(next), { mode: 0o600 });
}

function removeFromKubeconfig(file: string): void {
  const config = readKubeconfig(file);
  const others = <T extends { name: string }>(list: T[] | undefined) => (list ?? []).filter((e) => e.name !== CONTEXT);
  const next = {
    ...config,
    clusters: others(config.clusters),
    users: others(config.users),
    contexts: others(config.contexts),
  };
  if (next.contexts.length === 0 && next.clusters.length === 0) {
    rmSync(file, { force: true });
    return;
  }
  if (next['current-context'] === CONTEXT) delete next['current-context'];
  writeFileSync(file, stringifyYaml(next), { mode: 0o600 });
}

async function up(kubeconfig: string, port: number): Promise<void> {
  const stateDir = stateDirOf(kubeconfig);
  const existing = existsSync(stateDir) ? await running(stateDir) : undefined;
  if (existing) {
    console.log(`kloop-sandbox is already up at https://127.0.0.1:${existing.port} (pid ${existing.pid})`);
    return;
  }
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  rmSync(`${stateDir}/server.json`, { force: true });
  const logFile = `${stateDir}/server.log`;
  const out = openSync(logFile, 'a');
  const started = Date.now();
  const instance = randomBytes(4).toString('hex');
  writeFileSync(`${stateDir}/instance`, instance);
  const args = [mainScript(), '--state-dir', stateDir, '--port', String(port), '--instance', instance];
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', out, out],
    // Node's compile cache makes a warm start several times faster (type stripping included).
    env: { NODE_COMPILE_CACHE: join(tmpdir(), 'kloop-sandbox-compile-cache'), ...process.env },
  });
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });
  child.unref();
  for (;;) {
    const info = readInfo(stateDir);
    if (info) {
      const ca = readFileSync(`${stateDir}/tls/ca.crt`, 'utf8');
      const token = readFileSync(`${stateDir}/token`, 'utf8').trim();
      writeKubeconfig(kubeconfig, info.port, ca, token);
      console.log(
        `kloop-sandbox up at https://127.0.0.1:${info.port} (context ${CONTEXT} in ${kubeconfig}; ready in ${Date.now() - started} ms, of which Docker node ${info.nodeStartMs} ms)`,
      );
      return;
    }
    if (exited !== undefined) {
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n');
      throw new UserError(
        `the sandbox server exited (code ${exited}) before it answered; ${logFile} ends with:\n${tail}`,
      );
    }
    if (Date.now() - started > 90_000) {
      child.kill('SIGKILL');
      throw new UserError(`the sandbox server did not answer within 90 s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function down(kubeconfig: string): Promise<void> {
  const stateDir = stateDirOf(kubeconfig);
  const info = readInfo(stateDir);
  if (info && alive(info.pid)) {
    process.kill(info.pid, 'SIGTERM');
    const deadline = Date.now() + 40_000;
    while (alive(info.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive(info.pid)) process.kill(info.pid, 'SIGKILL');
  }
  // The instance id is written before the server starts, so a server that died early is cleaned too.
  const instance = info?.instance ?? readInstance(stateDir);
  if (instance) {
    // Whatever the server could not remove (it crashed, or was killed): by the instance label.
    const { cleanupInstance } = await import('./node/index.ts');
    const { INSTANCE_LABEL } = await import('./main.ts');
    try {
      await cleanupInstance({ key: INSTANCE_LABEL, value: instance });
    } catch (error) {
      console.error(`kloop-sandbox: could not clean up Docker containers: ${(error as Error).message}`);
    }
  }
  rmSync(stateDir, { recursive: true, force: true });
  if (existsSync(kubeconfig)) removeFromKubeconfig(kubeconfig);
  console.log(info ? 'kloop-sandbox is down' : 'kloop-sandbox was not up');
}

async function status(kubeconfig: string): Promise<number> {
  const info = await running(stateDirOf(kubeconfig));
  if (!info) {
    console.log('kloop-sandbox is down');
    return 1;
  }
  console.log(`kloop-sandbox is up at https://127.0.0.1:${info.port} (pid ${info.pid}, since ${info.startedAt})`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { kubeconfig: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(usage);
    return command || values.help ? 0 : 1;
  }
  const kubeconfig = values.kubeconfig;
  if (!kubeconfig) throw new UserError(`${command} needs --kubeconfig FILE\n${usage}`);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UserError(`--port ${values.port}: not a port number`);
  switch (command) {
    case 'up':
      await up(kubeconfig, port);
      return 0;
    case 'down':
      await down(kubeconfig);
      return 0;
    case 'status':
      return status(kubeconfig);
    default:
      throw new UserError(`unknown command ${command}\n${usage}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error instanceof UserError ? `kloop-sandbox: ${error.message}` : (error as Error).stack);
      process.exit(1);
    },
  );
}
