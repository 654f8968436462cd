// Placing dev targets and container hooks on workloads: the draft's apps are rendered once with
// kloop's own render (placeholder values for variables without one), and each "pod picked by
// image / labels / object name" of the source tool becomes app + workload (+ container).
import type { LoadInput } from '../config/project.ts';
import { loadProjectFromText } from '../config/load-text.ts';
import { parseImageRef } from '../render/images.ts';
import { render } from '../render/index.ts';
import type { KubeObject } from '../render/types.ts';
import type { PodSelector } from './draft.ts';

interface Container {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort?: number }[];
}
export interface Workload {
  app: string;
  kind: string;
  name: string;
  labels: Record<string, string>;
  containers: Container[];
}
interface Service {
  app: string;
  name: string;
  selector: Record<string, string>;
  ports: { port?: number; targetPort?: number | string }[];
}

export interface Cluster {
  workloads: Workload[];
  services: Service[];
  /** images: name → repository, variables substituted */
  repositories: Record<string, string>;
  apps: string[];
  /** the variable values the render used, for image references written with ${VAR} */
  vars: Record<string, string>;
}

export interface Placed {
  app: string;
  workload?: string;
  labelSelector?: Record<string, string>;
  container?: string;
  /** service port → container port */
  portMap?: Map<number, number>;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'Pod']);

function podSpec(o: KubeObject): { labels: Record<string, string>; containers: Container[] } | undefined {
  // biome-ignore lint/suspicious/noExplicitAny: rendered objects are plain JSON
  const spec = o.spec as Record<string, any> | undefined;
  if (!spec) return undefined;
  if (o.kind === 'Pod')
    return { labels: (o.metadata.labels as Record<string, string>) ?? {}, containers: spec.containers ?? [] };
  const t = spec.template;
  if (!t?.spec) return undefined;
  return { labels: t.metadata?.labels ?? {}, containers: t.spec.containers ?? [] };
}

/** Renders the draft's apps; undefined (with the reason) when that is not possible here. */
export async function renderDraft(
  text: string,
  file: string,
  globals: LoadInput,
  placeholders: Record<string, string>,
): Promise<Cluster | string> {
  try {
    const project = loadProjectFromText(text, file, { ...globals, vars: { ...placeholders, ...globals.vars } });
    const images = Object.fromEntries(Object.entries(project.images).map(([n, i]) => [n, `${i.image}:kloop-init`]));
    const result = await render(project, { images, cache: false, validate: false });
    const cluster: Cluster = {
      workloads: [],
      services: [],
      repositories: Object.fromEntries(Object.entries(project.images).map(([n, i]) => [n, i.image])),
      apps: Object.keys(project.apps),
      vars: Object.fromEntries([...project.vars.own.values()].map((v) => [v.name, v.value])),
    };
    for (const a of result.apps)
      for (const o of a.objects) {
        if (WORKLOADS.has(o.kind)) {
          const p = podSpec(o);
          if (p) cluster.workloads.push({ app: a.name, kind: o.kind.toLowerCase(), name: o.metadata.name ?? '', ...p });
        } else if (o.kind === 'Service') {
          // biome-ignore lint/suspicious/noExplicitAny: rendered objects are plain JSON
          const spec = (o.spec ?? {}) as Record<string, any>;
          cluster.services.push({
            app: a.name,
            name: o.metadata.name ?? '',
            selector: spec.selector ?? {},
            ports: spec.ports ?? [],
          });
        }
      }
    return cluster;
  } catch (error) {
    return (error as Error).message.split('\n')[0] ?? String(error);
  }
}

const matches = (labels: Record<string, string>, selector: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Where the source tool's pod selection lands in kloop terms, or why it cannot be placed. */
export function place(cluster: Cluster | string, select: PodSelector): Placed | string {
  if (typeof cluster === 'string') {
    return `could not render the apps to find the workload (${cluster})`;
  }
  const single = (w: Workload, container?: string): Placed => ({
    app: w.app,
    workload: `${w.kind}/${w.name}`,
    ...(container && w.containers.length > 1 ? { container } : {}),
  });
  if (select.resource) {
    const [kind, name] = select.resource.split('/') as [string, string];
    if (kind === 'service' || kind === 'svc') {
      const svc = cluster.services.find((s) => s.name === name);
      if (!svc) return `no Service ${name} in the rendered apps`;
      const w = cluster.workloads.find((x) => matches(x.labels, svc.selector));
      if (!w) return `no workload behind Service ${name}`;
      const portMap = new Map<number, number>();
      for (const p of svc.ports) {
        if (!p.port) continue;
        const t = p.targetPort ?? p.port;
        const n =
          typeof t === 'number'
            ? t
            : w.containers.flatMap((c) => c.ports ?? []).find((cp) => cp.name === t)?.containerPort;
        if (n) portMap.set(p.port, n);
      }
      const container = w.containers.find((c) =>
        (c.ports ?? []).some((cp) => [...portMap.values()].includes(cp.containerPort ?? -1)),
      );
      return { ...single(w, select.container ?? container?.name), portMap };
    }
    const w = cluster.workloads.find((x) => x.kind === kind && x.name === name);
    if (w) return single(w, select.container);
    if (!select.image) return `no ${kind} ${name} in the rendered apps`;
  }
  if (select.image) {
    const written = select.image.replace(/\$\{(\w+)\}/g, (all, name: string) => cluster.vars[name] ?? all);
    const repo = parseImageRef(cluster.repositories[select.image] ?? written).repository;
    const hits = cluster.workloads.flatMap((w) =>
      w.containers
        .filter((c) => c.image && parseImageRef(c.image).repository === repo)
        .filter((c) => !select.container || c.name === select.container)
        .map((c) => ({ w, c })),
    );
    const inLabels = select.labels ? hits.filter((h) => matches(h.w.labels, select.labels ?? {})) : hits;
    const hit = inLabels[0];
    if (!hit) return `no container in the rendered apps runs the image ${repo}`;
    return single(hit.w, hit.c.name);
  }
  if (select.labels) {
    const w = cluster.workloads.find((x) => matches(x.labels, select.labels ?? {}));
    const app = w?.app ?? cluster.apps[0];
    if (!app) return 'there is no app to attach it to';
    return { app, labelSelector: select.labels, ...(select.container ? { container: select.container } : {}) };
  }
  return 'the source names no image, labels or object to pick the pod by';
}
