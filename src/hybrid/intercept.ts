// kloop intercept: the target Service's traffic (or only requests with a header) to a local
// process. Order matters for crash safety: record, create the agent (pod + ConfigMap + shadow
// Service for the original pods), wait for it and for the first tunnel, and only then switch the
// Service's selector to the agent. stop() undoes it in reverse; a crash is undone by the next run.
import type { ResolvedDevTarget } from '../config/project.ts';
import type { Dialer } from '../kube/streams.ts';
import { PodTracker } from '../kube/pod-tracker.ts';
import { KloopError } from '../errors.ts';
import { ApiError, type KubeClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/types.ts';
import { type Watcher, watchCollection } from '../kube/watch.ts';
import { agentObjects, CONTROL_PORT } from './agent-objects.ts';
import { isReadyPod, type ServiceInfo, selects, serviceInfo } from './cluster-view.ts';
import { INTERCEPT_LABEL, interceptRecord, ORIGINAL_ANNOTATION } from './intercept-state.ts';
import {
  annotationPath,
  ensureAnnotations,
  type JournalRecord,
  jsonPatch,
  record,
  restore,
  restoreRecord,
} from '../kube/journal.ts';
import { type TunnelStatus, TunnelPool } from './tunnels.ts';
import { describeOwner, gitopsSettings, type PauseMode } from '../kube/gitops-owners.ts';
import { type PauseOutcome, pauseOwner, requestResync } from '../kube/gitops-pause.ts';

export const DEFAULT_AGENT_IMAGE = 'node:24-slim';

export interface InterceptOptions {
  client: KubeClient;
  dialer: Dialer;
  stateDir: string;
  target: ResolvedDevTarget;
  local: number;
  /** the Service port; default: the local port, else the Service's only port */
  remote?: number;
  header?: { name: string; value: string };
  image?: string;
  onNotice(message: string): void;
  onState(change: string, state: Readonly<InterceptState>): void;
  podTimeoutMs?: number;
  /** --gitops-pause: overrides the target's gitops.pause */
  gitopsPause?: PauseMode;
  confirm?: (question: string) => Promise<boolean>;
  /** --resync: when the intercept ends, ask the paused Flux/Argo CD object to reconcile now */
  resync?: boolean;
}

export interface InterceptState {
  target: string;
  namespace: string;
  service?: string;
  port?: number;
  local: number;
  header?: string;
  agent?: string;
  phase: 'starting' | 'intercepting' | 'restoring' | 'stopped';
  /** something undid the switch while intercepting */
  warning?: string;
  /** the Flux / Argo CD object that reconciles the Service, and whether it is paused */
  gitops?: { owner: string; state: 'paused' | 'not-paused' };
  tunnels: TunnelStatus;
}

export function parsePortSpec(spec: string): { local: number; remote?: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(spec.trim());
  const valid = (n: number) => n > 0 && n < 65536;
  if (!m || !valid(Number(m[1])) || (m[2] !== undefined && !valid(Number(m[2])))) {
    throw new KloopError(`--port ${spec}: expected LOCAL or LOCAL:REMOTE (port numbers)`, {
      hint: 'e.g. --port 3000 (local 3000, Service port 3000) or --port 3000:8080',
    });
  }
  return m[2] === undefined ? { local: Number(m[1]) } : { local: Number(m[1]), remote: Number(m[2]) };
}

export function parseHeader(spec: string): { name: string; value: string } {
  const eq = spec.indexOf('=');
  if (eq <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(spec.slice(0, eq))) {
    throw new KloopError(`--header ${spec}: expected NAME=VALUE with an HTTP header name`, {
      hint: 'e.g. --header x-dev=alice',
    });
  }
  return { name: spec.slice(0, eq), value: spec.slice(eq + 1) };
}

/** The one Service that selects the target's pod and has the port. */
export function chooseService(
  targetName: string,
  services: ServiceInfo[],
  labels: Record<string, string>,
  port: number | undefined,
): { service: ServiceInfo; port: number } {
  const selecting = services.filter((s) => s.forwardable && selects(s.selector, labels));
  if (selecting.length === 0) {
    throw new KloopError(`dev target "${targetName}": no Service selects its pods`, {
      hint: 'kloop intercept takes over a Service; create one whose selector matches the pods',
    });
  }
  const describe = (s: ServiceInfo) => `${s.name} (ports ${s.ports.map((p) => p.port).join(', ')})`;
  let candidates = selecting.filter((s) => port === undefined || s.ports.some((p) => p.port === port));
  if (candidates.length === 0) {
    throw new KloopError(`dev target "${targetName}": no Service of its pods has port ${port}`, {
      details: selecting.map(describe),
      hint: 'name the Service port with --port LOCAL:REMOTE',
    });
  }
  if (candidates.length > 1) candidates = candidates.filter((s) => !s.name.includes('kloop-orig'));
  if (candidates.length > 1) {
    throw new KloopError(`dev target "${targetName}": ${candidates.length} Services of its pods have port ${port}`, {
      details: candidates.map(describe),
      hint: 'kloop intercept takes over one Service; give the ports distinct numbers or intercept via --port LOCAL:REMOTE',
    });
  }
  const service = candidates[0]!;
  if (port === undefined) {
    if (service.ports.length !== 1) {
      throw new KloopError(`Service ${service.name} has ${service.ports.length} ports: say which one`, {
        hint: `--port LOCAL:REMOTE with REMOTE one of ${service.ports.map((p) => p.port).join(', ')}`,
      });
    }
    return { service, port: service.ports[0]!.port };
  }
  return { service, port };
}

export class Intercept {
  private readonly o: InterceptOptions;
  private readonly state: InterceptState;
  private record: JournalRecord | undefined;
  private pause: PauseOutcome | undefined;
  private pool: TunnelPool | undefined;
  private stopping: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private agentPod: KubeObject | undefined;
  private agentWatch: Watcher | undefined;
  private serviceWatch: Watcher | undefined;
  private recreating: Promise<void> | undefined;

  constructor(options: InterceptOptions) {
    this.o = options;
    this.state = {
      target: options.target.name,
      namespace: options.target.namespace,
      local: options.local,
      phase: 'starting',
      tunnels: { idle: 0, active: 0, served: 0 },
    };
    if (options.header) this.state.header = `${options.header.name}: ${options.header.value}`;
  }

  get current(): Readonly<InterceptState> {
    return this.state;
  }

  get tunnels(): TunnelPool | undefined {
    return this.pool;
  }

  private report(change: string): void {
    this.o.onState(change, structuredClone(this.state));
  }

  /** Intercepts; a stop() meanwhile makes it end early (and stop() undoes what it did). */
  start(): Promise<void> {
    this.starting ??= this.run();
    return this.starting;
  }

  /** Between the steps of start(): stop() was called, go no further. */
  private checkStopping(): void {
    if (this.stopping) throw new KloopError('the intercept was stopped while it started');
  }

  private async run(): Promise<void> {
    const { client, target } = this.o;
    const ns = encodeURIComponent(target.namespace);
    for (const r of await restore({ client, stateDir: this.o.stateDir }, { orphans: true }))
      this.o.onNotice(`restored ${r.describe} (left ${r.changed ?? 'changed'} by an earlier kloop)`);

    // the target's pod: its labels pick the Service, its container ports name the target ports
    const tracker = new PodTracker(client, target, () => {});
    let pod: KubeObject;
    try {
      await tracker.start();
      const ref = await tracker.waitForPod(this.o.podTimeoutMs ?? 60_000);
      pod = await client.request<KubeObject>({ path: `/api/v1/namespaces/${ns}/pods/${encodeURIComponent(ref.pod)}` });
    } finally {
      tracker.stop();
    }
    const list = await client.request<{ items: KubeObject[] }>({ path: `/api/v1/namespaces/${ns}/services` });
    this.checkStopping();
    const { service, port } = chooseService(
      target.name,
      list.items.map(serviceInfo),
      pod.metadata.labels ?? {},
      this.o.remote ?? this.o.local,
    );
    const svcObj = list.items.find((s) => s.metadata.name === service.name)!;
    const existing = svcObj.metadata.annotations?.[ORIGINAL_ANNOTATION];
    if (existing) {
      throw new KloopError(`Service ${service.name} in ${target.namespace} is already intercepted`, {
        hint: `another kloop intercept is running for it: stop that one. If none runs, put back the selector kept in its ${ORIGINAL_ANNOTATION} annotation`,
      });
    }
    this.state.service = service.name;
    this.state.port = port;

    const objects = agentObjects({
      service,
      serviceObject: svcObj,
      pod,
      port,
      header: this.o.header,
      image: this.o.image ?? DEFAULT_AGENT_IMAGE,
    });
    const { agent, shadow, interceptedPort } = objects;

    // A controller that keeps the Service in sync with Git would switch it back: pause it first
    // (recorded before the intercept, so it is given back after the Service is restored).
    this.pause = await pauseOwner({
      client,
      stateDir: this.o.stateDir,
      settings: gitopsSettings(target.gitops, this.o.gitopsPause),
      object: svcObj,
      objectPath: `/api/v1/namespaces/${ns}/services/${encodeURIComponent(service.name)}`,
      objectName: `service/${service.name} in ${target.namespace}`,
      app: target.app,
      target: target.name,
      ...(this.o.confirm ? { confirm: this.o.confirm } : {}),
      onNotice: this.o.onNotice,
    });
    if (this.pause.owner && this.pause.state !== 'quiet') {
      const owner = describeOwner(this.pause.owner.owner);
      this.state.gitops = { owner, state: this.pause.state === 'paused' ? 'paused' : 'not-paused' };
      if (this.pause.state === 'paused') this.o.onNotice(`${target.name}: ${this.pause.message}`);
    }
    this.record = await record(
      { client, stateDir: this.o.stateDir },
      interceptRecord({
        namespace: target.namespace,
        service: service.name,
        originalSelector: service.selector,
        agent,
        shadow,
        app: target.app,
        target: target.name,
      }),
    );

    await this.create(`/api/v1/namespaces/${ns}/configmaps`, objects.configMap);
    await this.create(`/api/v1/namespaces/${ns}/services`, objects.shadowService);
    this.checkStopping();
    const image = this.o.image ?? DEFAULT_AGENT_IMAGE;
    this.agentPod = objects.pod;
    await this.create(`/api/v1/namespaces/${ns}/pods`, this.agentPod);
    this.state.agent = agent;
    this.report('agent created');
    await this.waitReady(agent, image);

    this.pool = new TunnelPool({
      dialer: this.o.dialer,
      namespace: target.namespace,
      pod: agent,
      control: CONTROL_PORT,
      localPorts: new Map([[interceptedPort, this.o.local]]),
      onNotice: this.o.onNotice,
      onStatus: (s) => {
        this.state.tunnels = s;
        this.report('tunnels');
      },
    });
    this.pool.start();
    await this.pool.ready();
    this.checkStopping();

    // the switch: recorded in the Service itself too, in the same patch
    await jsonPatch(client, `/api/v1/namespaces/${ns}/services/${encodeURIComponent(service.name)}`, [
      { op: 'test', path: '/spec/selector', value: service.selector },
      ...ensureAnnotations(svcObj),
      { op: 'add', path: annotationPath(ORIGINAL_ANNOTATION), value: JSON.stringify(service.selector) },
      { op: 'replace', path: '/spec/selector', value: { [INTERCEPT_LABEL]: service.name } },
    ]);
    this.state.phase = 'intercepting';
    this.report('intercepting');
    this.watchAgent(agent);
    this.watchService(service.name);
  }

  /** A redeploy puts the Service's selector back: say so, the intercept is no longer in effect. */
  private watchService(name: string): void {
    const ns = encodeURIComponent(this.o.target.namespace);
    let warned = false;
    const check = (svc: KubeObject | undefined) => {
      if (!svc || this.stopping) return;
      const selector: Record<string, string> = svc.spec?.selector ?? {};
      const ours = selector[INTERCEPT_LABEL] === name && Object.keys(selector).length === 1;
      if (!ours && !warned) {
        const owner = this.pause?.owner ? describeOwner(this.pause.owner.owner) : undefined;
        const by = owner
          ? `${owner} switched it back${this.pause?.state === 'paused' ? ' although it was paused' : ' (not paused: use --gitops-pause auto)'}`
          : 'changed by a deploy?';
        this.o.onNotice(
          `Service ${name} no longer selects only the agent (${by}): its selector is ${JSON.stringify(selector)}; restart kloop intercept to take it over again`,
        );
        this.state.warning = `Service ${name} no longer selects the agent`;
        this.report('service changed');
      }
      warned = !ours;
    };
    this.serviceWatch = watchCollection(
      this.o.client,
      `/api/v1/namespaces/${ns}/services`,
      {
        onList: (items) => check(items.find((s) => s.metadata.name === name)),
        onEvent: (type, obj) => {
          if (obj.metadata.name === name && type !== 'DELETED') check(obj);
        },
      },
      { fieldSelector: `metadata.name=${name}` },
    );
  }

  /** A deleted agent pod (a node drain, someone's kubectl delete) is created again; the tunnels reconnect. */
  private watchAgent(agent: string): void {
    const ns = encodeURIComponent(this.o.target.namespace);
    this.agentWatch = watchCollection(
      this.o.client,
      `/api/v1/namespaces/${ns}/pods`,
      {
        onList: (items) => {
          if (!items.some((p) => p.metadata.name === agent)) this.recreateAgent();
        },
        onEvent: (type, obj) => {
          if (type === 'DELETED' && obj.metadata.name === agent) this.recreateAgent();
        },
        onError: (error) => this.o.onNotice(`watching the agent pod: ${error.message}`),
      },
      { labelSelector: `${INTERCEPT_LABEL}=${this.state.service}` },
    );
  }

  private recreateAgent(): void {
    if (this.stopping || !this.agentPod || this.recreating) return;
    this.o.onNotice(`agent pod ${this.agentPod.metadata.name} is gone: creating it again`);
    const ns = encodeURIComponent(this.o.target.namespace);
    const pod = this.agentPod;
    this.recreating = this.create(`/api/v1/namespaces/${ns}/pods`, pod)
      .then(() => this.waitReady(pod.metadata.name!, pod.spec.containers[0].image))
      // the old pod's tunnels are not always closed by the other side: start afresh
      .then(() => this.pool?.reset())
      .catch((error: Error) => this.o.onNotice(`cannot create the agent pod again: ${error.message}`))
      .finally(() => {
        this.recreating = undefined;
      });
  }

  private async create(collection: string, body: KubeObject): Promise<void> {
    try {
      await this.o.client.request({ method: 'POST', path: collection, body });
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 409)) throw error;
      // a leftover of an intercept nobody recorded: replace it
      await this.o.client
        .request({ method: 'DELETE', path: `${collection}/${body.metadata.name}`, query: { gracePeriodSeconds: 0 } })
        .catch(() => {});
      for (let i = 0; i < 50; i++) {
        try {
          await this.o.client.request({ method: 'POST', path: collection, body });
          return;
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 409)) throw e;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      throw error;
    }
  }

  private async waitReady(name: string, image: string): Promise<void> {
    const path = `/api/v1/namespaces/${encodeURIComponent(this.o.target.namespace)}/pods/${encodeURIComponent(name)}`;
    const deadline = Date.now() + (this.o.podTimeoutMs ?? 60_000);
    let pod: KubeObject | undefined;
    while (Date.now() < deadline) {
      this.checkStopping();
      pod = await this.o.client.request<KubeObject>({ path });
      if (isReadyPod(pod)) return;
      const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
      if (waiting && /ErrImage|ImagePull|InvalidImageName/.test(waiting.reason ?? '')) {
        throw new KloopError(`the intercept agent cannot start: image ${image}: ${waiting.reason}`, {
          details: waiting.message ? [waiting.message] : [],
          hint: 'the agent runs on a stock Node.js image; pass --agent-image (or set KLOOP_INTERCEPT_IMAGE) with one the cluster can pull (node >= 18)',
        });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const status = pod?.status?.containerStatuses?.[0]?.state;
    throw new KloopError(`the intercept agent pod ${name} did not become ready`, {
      details: [JSON.stringify(status ?? pod?.status?.phase ?? 'no status')],
      hint: `kubectl logs ${name} -n ${this.o.target.namespace}`,
    });
  }

  /** Restores the Service and removes the agent (idempotent). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.state.phase = 'restoring';
      this.report('restoring');
      // a start() still under way stops at its next step; then everything it did is undone
      await this.starting?.catch(() => {});
      this.agentWatch?.stop();
      this.serviceWatch?.stop();
      await this.recreating;
      await this.pool?.close();
      const ctx = { client: this.o.client, stateDir: this.o.stateDir };
      if (this.record) await restoreRecord(ctx, this.record);
      const paused = this.pause?.record;
      if (paused) {
        await restoreRecord(ctx, paused);
        this.o.onNotice(`gave back ${paused.describe}`);
        if (this.o.resync) await requestResync(this.o.client, [paused], this.o.onNotice);
      }
      this.state.phase = 'stopped';
      this.report('stopped');
    })();
    return this.stopping;
  }
}
