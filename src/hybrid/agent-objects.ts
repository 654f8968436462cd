// The objects an intercept creates: the agent's ConfigMap (its program), the shadow Service (the
// original selector and ports: the agent's way to the original pods) and the agent pod, which
// listens on the Service's target ports (named ones keep their names) plus the control port.
import { KloopError } from '../errors.ts';
import type { KubeObject } from '../kube/types.ts';
import { AGENT_CONFIG_ENV, type AgentConfig, type AgentRoute, agentSource } from './agent.ts';
import { resolveTargetPort, type ServiceInfo } from './cluster-view.ts';
import { INTERCEPT_LABEL } from './intercept-state.ts';

export const CONTROL_PORT = 47_100;

/** Kubernetes names: at most 63 characters. */
function objectName(prefix: string, service: string): string {
  return `${prefix}-${service}`.slice(0, 63).replace(/-+$/, '');
}

export interface AgentObjectsInput {
  service: ServiceInfo;
  serviceObject: KubeObject;
  /** one of the original pods: resolves named target ports */
  pod: KubeObject;
  /** the intercepted Service port */
  port: number;
  header?: { name: string; value: string };
  image: string;
}

export interface AgentObjects {
  agent: string;
  shadow: string;
  /** the agent's listen port for the intercepted Service port */
  interceptedPort: number;
  configMap: KubeObject;
  shadowService: KubeObject;
  pod: KubeObject;
}

export function agentObjects(o: AgentObjectsInput): AgentObjects {
  const { service, pod, port } = o;
  const agent = objectName('kloop-intercept', service.name);
  const shadow = objectName('kloop-orig', service.name);
  const routes = new Map<number, AgentRoute>();
  const containerPorts: Array<{ name?: string; containerPort: number }> = [];
  for (const p of service.ports) {
    if (p.protocol !== 'TCP') continue;
    const listen = resolveTargetPort(pod, p.targetPort);
    if (listen === undefined) {
      throw new KloopError(
        `Service ${service.name}: target port "${p.targetPort}" is not a port of pod ${pod.metadata.name}`,
      );
    }
    // two Service ports on one target port: intercepted if either is
    const intercept = p.port === port || Boolean(routes.get(listen)?.intercept);
    routes.set(listen, {
      listen,
      upstream: { host: shadow, port: p.port },
      intercept,
      ...(o.header && intercept ? { header: o.header } : {}),
    });
    if (!containerPorts.some((c) => c.containerPort === listen))
      containerPorts.push({
        ...(typeof p.targetPort === 'string' && !/^\d+$/.test(p.targetPort) ? { name: p.targetPort } : {}),
        containerPort: listen,
      });
  }
  const intercepted = [...routes.values()].find((r) => r.intercept);
  if (!intercepted) throw new KloopError(`Service ${service.name} has no TCP port ${port}`);
  if (routes.has(CONTROL_PORT))
    throw new KloopError(`Service ${service.name} targets port ${CONTROL_PORT}, the intercept agent's own`);

  const labels = { 'app.kubernetes.io/managed-by': 'kloop', [INTERCEPT_LABEL]: service.name };
  const config: AgentConfig = {
    control: CONTROL_PORT,
    routes: [...routes.values()],
    // a caller waits as long as an HTTP client would rather than being reset during a burst
    tunnelWaitMs: 30_000,
    confirmMs: 5_000,
  };
  return {
    agent,
    shadow,
    interceptedPort: intercepted.listen,
    configMap: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: agent, labels },
      data: { 'agent.cjs': agentSource() },
    },
    shadowService: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: shadow, labels },
      spec: {
        selector: service.selector,
        ports: (o.serviceObject.spec?.ports ?? []).map((p: Record<string, unknown>) => ({
          ...(p.name ? { name: p.name } : {}),
          port: p.port,
          targetPort: p.targetPort ?? p.port,
          protocol: p.protocol ?? 'TCP',
        })),
      },
    },
    pod: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: agent, labels },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'agent',
            image: o.image,
            imagePullPolicy: 'IfNotPresent',
            command: ['node', '/kloop/agent.cjs'],
            env: [{ name: AGENT_CONFIG_ENV, value: JSON.stringify(config) }],
            ports: [...containerPorts, { name: 'kloop-control', containerPort: CONTROL_PORT }],
            readinessProbe: { tcpSocket: { port: CONTROL_PORT }, periodSeconds: 1 },
            securityContext: { privileged: false, allowPrivilegeEscalation: false },
            volumeMounts: [{ name: 'agent', mountPath: '/kloop', readOnly: true }],
          },
        ],
        volumes: [{ name: 'agent', configMap: { name: agent } }],
      },
    },
  };
}
