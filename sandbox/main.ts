// The sandbox server process: `kloop-sandbox up` starts it detached. It serves the API on
// 127.0.0.1, runs the controllers and the Docker node, and writes server.json once it answers.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Node } from './contract.ts';
import { deploymentController } from './controllers/deployment.ts';
import { endpointsController } from './controllers/endpoints.ts';
import { eventReaper } from './controllers/events.ts';
import { garbageCollector } from './controllers/gc.ts';
import { namespaceController } from './controllers/namespace.ts';
import { replicaSetController } from './controllers/replicaset.ts';
import { runControllers } from './controllers/runtime.ts';
import { workloadControllers } from './controllers/workloads.ts';
import { createDockerNode } from './node/index.ts';
import { createAdmission } from './server/admission.ts';
import { bootstrap } from './server/bootstrap.ts';
import { loadStreaming, startApiServer } from './server/http.ts';
import { Registry } from './server/resources.ts';
import { ensureTls } from './server/tls.ts';
import { MemoryStore } from './store/store.ts';

export const INSTANCE_LABEL = 'kloop.dev/sandbox';

export interface ServerInfo {
  pid: number;
  port: number;
  instance: string;
  startedAt: string;
  /** milliseconds from process start to answering, and how much of it was the Docker node */
  startupMs: number;
  nodeStartMs: number;
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { 'state-dir': { type: 'string' }, port: { type: 'string' }, instance: { type: 'string' } },
  });
  const stateDir = values['state-dir'];
  if (!stateDir) throw new Error('--state-dir is required');
  const instance = values.instance ?? randomBytes(4).toString('hex');
  const log = (message: string) => console.log(`${new Date().toISOString()} ${message}`);

  const tls = await ensureTls(join(stateDir, 'tls'));
  const tokenFile = join(stateDir, 'token');
  if (!existsSync(tokenFile)) writeFileSync(tokenFile, randomBytes(24).toString('hex'), { mode: 0o600 });
  const token = readFileSync(tokenFile, 'utf8').trim();

  const registry = new Registry();
  const store = new MemoryStore(registry);
  const node: Node = createDockerNode({
    store,
    networkName: `kloop-sandbox-${instance}`,
    instanceLabel: { key: INSTANCE_LABEL, value: instance },
    log: (m) => log(m),
  });
  store.admission = createAdmission(store, () => node);

  const api = await startApiServer({ store, node, token, tls, port: Number(values.port ?? 0), log });
  const t1 = performance.now();
  await node.start();
  const nodeStartMs = performance.now() - t1;
  bootstrap(store, api.port);
  const stopControllers = runControllers(
    store,
    [
      deploymentController(store),
      replicaSetController(store),
      ...workloadControllers(store),
      endpointsController(store),
      garbageCollector(store),
      namespaceController(store, tls.caCert),
      eventReaper(store),
    ],
    log,
  );

  const infoFile = join(stateDir, 'server.json');
  const info: ServerInfo = {
    pid: process.pid,
    port: api.port,
    instance,
    startedAt: new Date().toISOString(),
    // performance.now() counts from process start, so this includes Node's own boot.
    startupMs: Math.round(performance.now()),
    nodeStartMs: Math.round(nodeStartMs),
  };
  writeFileSync(`${infoFile}.tmp`, JSON.stringify(info));
  renameSync(`${infoFile}.tmp`, infoFile);
  log(
    `kloop-sandbox ${instance} serving on https://127.0.0.1:${api.port} (ready in ${info.startupMs} ms, node ${info.nodeStartMs} ms)`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    stopControllers();
    const forced = setTimeout(() => process.exit(1), 30_000);
    try {
      await node.stop();
    } catch (error) {
      log(`node stop failed: ${(error as Error).message}`);
    }
    await api.close();
    clearTimeout(forced);
    rmSync(infoFile, { force: true });
    process.exit(0);
  };
  // Warm the lazily loaded streaming code now that the server answers.
  void loadStreaming();
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((error) => {
    // `up` shows the end of this log: one line that says what failed, the stack after it.
    const e = error as NodeJS.ErrnoException;
    const hint =
      e.code === 'EADDRINUSE'
        ? ' (choose another --port, or leave it out for a free one)'
        : e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'EACCES'
          ? ' (is Docker running? `docker info` must work)'
          : '';
    console.error(`kloop-sandbox: ${e.message ?? error}${hint}`);
    if (process.env.KLOOP_DEBUG) console.error(e.stack);
    process.exit(1);
  });
}
