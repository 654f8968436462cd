// kloop connect: a local process run as if it were the target container: its environment, the
// service variables, every Service of the namespace on a loopback address, names through the
// proxy (and optionally the hosts file). The child's exit code is the result; whatever way it
// ends, every forward, the proxy and the hosts block are gone afterwards.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { ResolvedDevTarget } from '../config/project.ts';
import type { Dialer } from '../kube/streams.ts';
import { PodTracker } from '../kube/pod-tracker.ts';
import { KloopError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/types.ts';
import { ClusterView } from './cluster-view.ts';
import { containerEnv, serviceEnv } from './env.ts';
import { addHostsBlock, hostsFilePath, removeStaleBlocks } from './hosts-file.ts';
import { type HttpProxy, serviceOfHost, startProxy } from './proxy.ts';
import { type ForwardStatus, ServiceForwards } from './service-forwards.ts';

export interface ConnectState {
  namespace: string;
  target?: string;
  pod?: string;
  proxy?: string;
  hostsFile?: string;
  services: ForwardStatus[];
  process: { state: 'starting' | 'running' | 'exited'; pid?: number; exitCode?: number };
  /** names of variables whose values came from Secrets (the values are never shown) */
  secretVariables: string[];
}

export interface ConnectOptions {
  client: KubeClient;
  dialer: Dialer;
  namespace: string;
  target?: ResolvedDevTarget;
  command: readonly string[];
  hosts: boolean;
  /** the environment the child starts from (kloop's own) */
  baseEnv: Readonly<Record<string, string | undefined>>;
  onNotice(message: string): void;
  onState(change: string, state: Readonly<ConnectState>): void;
  /** resolves when kloop is asked to stop (a signal): the child is signalled, then awaited */
  stopRequested?: Promise<NodeJS.Signals>;
  podTimeoutMs?: number;
}

export async function runConnect(o: ConnectOptions): Promise<number> {
  const state: ConnectState = {
    namespace: o.namespace,
    services: [],
    process: { state: 'starting' },
    secretVariables: [],
  };
  if (o.target) state.target = o.target.name;
  const report = (change: string) => o.onState(change, structuredClone(state));

  const hostsFile = hostsFilePath(o.baseEnv);
  try {
    for (const pid of removeStaleBlocks(hostsFile))
      o.onNotice(`removed the ${hostsFile} block of an earlier kloop connect (pid ${pid}) that did not end cleanly`);
  } catch (error) {
    if (o.hosts) throw error;
    o.onNotice(`${hostsFile} still has a block of an earlier kloop connect: ${(error as Error).message}`);
  }

  let forwards: ServiceForwards | undefined;
  const view = new ClusterView(o.client, o.namespace, {
    onServices: (services) => {
      void forwards?.sync(services).then(() => {
        state.services = forwards?.status() ?? [];
        report('services changed');
      });
    },
    onPodGone: (pod) => forwards?.podGone(pod),
    onError: (error) => o.onNotice(`watching namespace ${o.namespace}: ${error.message}`),
  });
  forwards = new ServiceForwards(view, o.dialer, o.onNotice);
  let tracker: PodTracker | undefined;
  let proxy: HttpProxy | undefined;
  let removeHosts: (() => void) | undefined;
  try {
    await view.start();
    await forwards.sync(view.list());
    state.services = forwards.status();

    const svcEnv = serviceEnv(forwards.all());
    let ownEnv: Record<string, string> = {};
    if (o.target) {
      tracker = new PodTracker(o.client, o.target, () => {});
      await tracker.start();
      const ref = await tracker.waitForPod(o.podTimeoutMs ?? 60_000);
      const pod = await o.client.request<KubeObject>({
        path: `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/pods/${encodeURIComponent(ref.pod)}`,
      });
      const resolved = await containerEnv(o.client, pod, ref.container, svcEnv);
      ownEnv = resolved.env;
      state.pod = ref.pod;
      state.secretVariables = resolved.secretNames;
      tracker.stop();
    }

    const fwd = forwards;
    proxy = await startProxy(
      {
        service: (host) => {
          const name = serviceOfHost(host, o.namespace);
          return name && view.service(name) ? name : undefined;
        },
        forward: (service, port) => {
          const why = fwd.unavailable(service);
          if (why) return { error: why };
          const local = fwd.local(service, port);
          if (!local) {
            const ports = view.service(service)?.ports.map((p) => p.port) ?? [];
            return { error: `Service ${service} has no port ${port} (its ports: ${ports.join(', ') || 'none'})` };
          }
          return { host: local.address, port: local.localPort };
        },
      },
      o.onNotice,
    );
    state.proxy = proxy.url;

    if (o.hosts) {
      const entries = forwards.all().reduce((m, p) => m.set(p.address, p.service), new Map<string, string>());
      removeHosts = addHostsBlock(
        hostsFile,
        [...entries].map(([address, svc]) => ({
          address,
          names: [svc, `${svc}.${o.namespace}`, `${svc}.${o.namespace}.svc`, `${svc}.${o.namespace}.svc.cluster.local`],
        })),
      );
      state.hostsFile = hostsFile;
    }

    const noProxy = [o.baseEnv.NO_PROXY ?? o.baseEnv.no_proxy, 'localhost,127.0.0.1,::1'].filter(Boolean).join(',');
    const env: Record<string, string | undefined> = {
      ...o.baseEnv,
      ...svcEnv,
      ...ownEnv,
      HTTP_PROXY: proxy.url,
      HTTPS_PROXY: proxy.url,
      http_proxy: proxy.url,
      https_proxy: proxy.url,
      NO_PROXY: noProxy,
      no_proxy: noProxy,
      // Node's http and fetch follow HTTP_PROXY only when asked to (Node >= 24.5 / 22.21)
      NODE_USE_ENV_PROXY: o.baseEnv.NODE_USE_ENV_PROXY ?? '1',
    };
    return await runChild(o, env, state, report);
  } finally {
    tracker?.stop();
    removeHosts?.();
    await proxy?.close();
    await forwards.close();
    view.stop();
  }
}

async function runChild(
  o: ConnectOptions,
  env: Record<string, string | undefined>,
  state: ConnectState,
  report: (change: string) => void,
): Promise<number> {
  const [file, ...args] = o.command;
  if (!file)
    throw new KloopError('kloop connect needs a command to run', { hint: 'kloop connect [target] -- <command...>' });
  const child = spawn(file, args, { stdio: 'inherit', env });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new KloopError(`cannot run ${file}: ${error.code === 'ENOENT' ? 'command not found' : error.message}`, {
          hint: error.code === 'ENOENT' ? 'check the command after --, and that it is on PATH' : undefined,
        }),
      ),
    );
  });
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
  });
  await spawned;
  state.process = { state: 'running', pid: child.pid! };
  report('process started');
  void o.stopRequested?.then((signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
  const code = await exited;
  state.process = { state: 'exited', pid: child.pid!, exitCode: code };
  report('process exited');
  return code;
}
