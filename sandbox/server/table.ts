// Table output (meta.k8s.io/v1) for `kubectl get`: the columns the real printers produce.
import type { KubeObject } from '../contract.ts';
import type { ResourceInfo } from './resources.ts';
import { selectorToString } from '../store/selectors.ts';

export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

type Obj = Record<string, unknown>;
type Column = { name: string; type: string; format?: string; priority?: number; description?: string };
type Printer = { columns: Column[]; cells: (o: KubeObject) => unknown[] };

/** kubectl's HumanDuration. */
export function age(since: string | undefined, now = Date.now()): string {
  if (!since) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(since)) / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  if (s < 120) return `${s}s`;
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

const col = (name: string, type = 'string', priority = 0, format = ''): Column => ({
  name,
  type,
  format,
  description: '',
  priority,
});
const spec = (o: KubeObject) => (o.spec ?? {}) as Obj;
const status = (o: KubeObject) => (o.status ?? {}) as Obj;
const num = (v: unknown) => (typeof v === 'number' ? v : 0);

function podStatus(o: KubeObject): string {
  const st = status(o);
  let reason = String(st.reason ?? st.phase ?? 'Pending');
  const init = (st.initContainerStatuses ?? []) as Obj[];
  for (const [i, c] of init.entries()) {
    const state = (c.state ?? {}) as Obj;
    const term = state.terminated as Obj | undefined;
    const wait = state.waiting as Obj | undefined;
    if (term && term.exitCode === 0) continue;
    if (term) reason = `Init:${term.reason ?? `ExitCode:${term.exitCode}`}`;
    else if (wait?.reason && wait.reason !== 'PodInitializing') reason = `Init:${wait.reason}`;
    else reason = `Init:${i}/${init.length}`;
    break;
  }
  if (!reason.startsWith('Init:')) {
    for (const c of [...((st.containerStatuses ?? []) as Obj[])].reverse()) {
      const state = (c.state ?? {}) as Obj;
      const wait = state.waiting as Obj | undefined;
      const term = state.terminated as Obj | undefined;
      if (wait?.reason) reason = String(wait.reason);
      else if (term?.reason) reason = String(term.reason);
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
    }
  }
  if (o.metadata.deletionTimestamp) reason = 'Terminating';
  return reason;
}

const printers: Record<string, Printer> = {
  '/pods': {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Ready'),
      col('Status'),
      col('Restarts'),
      col('Age'),
      col('IP', 'string', 1),
      col('Node', 'string', 1),
      col('Nominated Node', 'string', 1),
      col('Readiness Gates', 'string', 1),
    ],
    cells: (o) => {
      const cs = (status(o).containerStatuses ?? []) as Obj[];
      const total = ((spec(o).containers ?? []) as unknown[]).length;
      const ready = cs.filter((c) => c.ready).length;
      const restarts = cs.reduce((n, c) => n + num(c.restartCount), 0);
      return [
        o.metadata.name,
        `${ready}/${total}`,
        podStatus(o),
        String(restarts),
        age(o.metadata.creationTimestamp),
        status(o).podIP ?? '<none>',
        spec(o).nodeName ?? '<none>',
        '<none>',
        '<none>',
      ];
    },
  },
  'apps/deployments': {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Ready'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      col('Age'),
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1),
    ],
    cells: (o) => [
      o.metadata.name,
      `${num(status(o).readyReplicas)}/${num(spec(o).replicas)}`,
      num(status(o).updatedReplicas),
      num(status(o).availableReplicas),
      age(o.metadata.creationTimestamp),
      ...containers(o),
      selectorToString(spec(o).selector),
    ],
  },
  'apps/replicasets': {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      col('Age'),
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1),
    ],
    cells: (o) => [
      o.metadata.name,
      num(spec(o).replicas),
      num(status(o).replicas),
      num(status(o).readyReplicas),
      age(o.metadata.creationTimestamp),
      ...containers(o),
      selectorToString(spec(o).selector),
    ],
  },
  'apps/statefulsets': {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Ready'),
      col('Age'),
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
    ],
    cells: (o) => [
      o.metadata.name,
      `${num(status(o).readyReplicas)}/${num(spec(o).replicas)}`,
      age(o.metadata.creationTimestamp),
      ...containers(o),
    ],
  },
  'apps/daemonsets': {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      col('Node Selector'),
      col('Age'),
    ],
    cells: (o) => {
      const s = status(o);
      return [
        o.metadata.name,
        num(s.desiredNumberScheduled),
        num(s.currentNumberScheduled),
        num(s.numberReady),
        num(s.updatedNumberScheduled),
        num(s.numberAvailable),
        '<none>',
        age(o.metadata.creationTimestamp),
      ];
    },
  },
  'batch/jobs': {
    columns: [col('Name', 'string', 0, 'name'), col('Status'), col('Completions'), col('Duration'), col('Age')],
    cells: (o) => {
      const s = status(o);
      const conds = (s.conditions ?? []) as Obj[];
      const state = conds.find((c) => c.type === 'Complete' && c.status === 'True')
        ? 'Complete'
        : conds.find((c) => c.type === 'Failed' && c.status === 'True')
          ? 'Failed'
          : 'Running';
      const end = s.completionTime ? Date.parse(String(s.completionTime)) : Date.now();
      return [
        o.metadata.name,
        state,
        `${num(s.succeeded)}/${num(spec(o).completions) || 1}`,
        s.startTime ? age(String(s.startTime), end) : '',
        age(o.metadata.creationTimestamp),
      ];
    },
  },
  'batch/cronjobs': {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Schedule'),
      col('Timezone'),
      col('Suspend', 'boolean'),
      col('Active', 'integer'),
      col('Last Schedule'),
      col('Age'),
    ],
    cells: (o) => [
      o.metadata.name,
      spec(o).schedule,
      spec(o).timeZone ?? '<none>',
      spec(o).suspend ?? false,
      ((status(o).active ?? []) as unknown[]).length,
      status(o).lastScheduleTime ? age(String(status(o).lastScheduleTime)) : '<none>',
      age(o.metadata.creationTimestamp),
    ],
  },
  '/services': {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Type'),
      col('Cluster-IP'),
      col('External-IP'),
      col('Port(s)'),
      col('Age'),
      col('Selector', 'string', 1),
    ],
    cells: (o) => {
      const ports = ((spec(o).ports ?? []) as Obj[]).map(
        (p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`,
      );
      const selector = Object.entries((spec(o).selector ?? {}) as Obj)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return [
        o.metadata.name,
        spec(o).type ?? 'ClusterIP',
        spec(o).clusterIP ?? '<none>',
        spec(o).type === 'LoadBalancer' ? '<pending>' : '<none>',
        ports.join(',') || '<none>',
        age(o.metadata.creationTimestamp),
        selector || '<none>',
      ];
    },
  },
  '/namespaces': {
    columns: [col('Name', 'string', 0, 'name'), col('Status'), col('Age')],
    cells: (o) => [o.metadata.name, status(o).phase ?? 'Active', age(o.metadata.creationTimestamp)],
  },
  '/configmaps': {
    columns: [col('Name', 'string', 0, 'name'), col('Data', 'integer'), col('Age')],
    cells: (o) => [
      o.metadata.name,
      Object.keys((o.data ?? {}) as Obj).length + Object.keys((o.binaryData ?? {}) as Obj).length,
      age(o.metadata.creationTimestamp),
    ],
  },
  '/secrets': {
    columns: [col('Name', 'string', 0, 'name'), col('Type'), col('Data', 'integer'), col('Age')],
    cells: (o) => [
      o.metadata.name,
      o.type ?? 'Opaque',
      Object.keys((o.data ?? {}) as Obj).length,
      age(o.metadata.creationTimestamp),
    ],
  },
  '/persistentvolumeclaims': {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Status'),
      col('Volume'),
      col('Capacity'),
      col('Access Modes'),
      col('StorageClass'),
      col('VolumeAttributesClass'),
      col('Age'),
    ],
    cells: (o) => [
      o.metadata.name,
      status(o).phase ?? 'Pending',
      spec(o).volumeName ?? '',
      ((status(o).capacity ?? {}) as Obj).storage ?? '',
      ((spec(o).accessModes ?? []) as string[])
        .map((m) => m.replace('ReadWriteOnce', 'RWO').replace('ReadOnlyMany', 'ROX').replace('ReadWriteMany', 'RWX'))
        .join(','),
      spec(o).storageClassName ?? '',
      '<unset>',
      age(o.metadata.creationTimestamp),
    ],
  },
  '/endpoints': {
    columns: [col('Name', 'string', 0, 'name'), col('Endpoints'), col('Age')],
    cells: (o) => {
      const list: string[] = [];
      for (const s of (o.subsets ?? []) as Obj[])
        for (const a of (s.addresses ?? []) as Obj[])
          for (const p of (s.ports ?? []) as Obj[]) list.push(`${a.ip}:${p.port}`);
      return [o.metadata.name, list.join(',') || '<none>', age(o.metadata.creationTimestamp)];
    },
  },
  '/events': {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Message')],
    cells: (o) => {
      const io = (o.involvedObject ?? {}) as Obj;
      return [
        age(String(o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp)),
        o.type ?? '',
        o.reason ?? '',
        `${String(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`,
        o.message ?? '',
      ];
    },
  },
  'apps/controllerrevisions': {
    columns: [col('Name', 'string', 0, 'name'), col('Controller'), col('Revision', 'integer'), col('Age')],
    cells: (o) => {
      const owner = o.metadata.ownerReferences?.find((r) => r.controller);
      const controller = owner
        ? `${owner.kind.toLowerCase()}.${owner.apiVersion.split('/')[0]}/${owner.name}`
        : '<none>';
      return [o.metadata.name, controller, o.revision ?? 0, age(o.metadata.creationTimestamp)];
    },
  },
  'autoscaling/horizontalpodautoscalers': {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Reference'),
      col('Targets'),
      col('MinPods', 'string'),
      col('MaxPods', 'integer'),
      col('Replicas', 'integer'),
      col('Age'),
    ],
    cells: (o) => {
      const ref = (spec(o).scaleTargetRef ?? {}) as Obj;
      return [
        o.metadata.name,
        `${ref.kind ?? ''}/${ref.name ?? ''}`,
        hpaTargets(o),
        spec(o).minReplicas === undefined ? '<unset>' : String(spec(o).minReplicas),
        num(spec(o).maxReplicas),
        num(status(o).currentReplicas),
        age(o.metadata.creationTimestamp),
      ];
    },
  },
  '/nodes': {
    columns: [col('Name', 'string', 0, 'name'), col('Status'), col('Roles'), col('Age'), col('Version')],
    cells: (o) => [
      o.metadata.name,
      'Ready',
      'control-plane',
      age(o.metadata.creationTimestamp),
      ((status(o).nodeInfo ?? {}) as Obj).kubeletVersion ?? 'v1.32.0',
    ],
  },
};

/** `cpu: <unknown>/80%`, as the HPA printer shows targets it has no measurement for. */
function hpaTargets(o: KubeObject): string {
  const v1 = spec(o).targetCPUUtilizationPercentage;
  const metrics = (spec(o).metrics ??
    (typeof v1 === 'number'
      ? [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: v1 } } }]
      : [])) as Obj[];
  if (metrics.length === 0) return '<none>';
  const shown = metrics.map((m) => {
    const source = (m.resource ?? m.containerResource ?? {}) as Obj;
    const target = (source.target ?? {}) as Obj;
    const want =
      typeof target.averageUtilization === 'number'
        ? `${target.averageUtilization}%`
        : String(target.averageValue ?? target.value ?? '');
    return m.type === 'Resource' || m.type === 'ContainerResource'
      ? `${source.name}: <unknown>/${want}`
      : `<unknown>/${want}`;
  });
  return shown.length > 3 ? `${shown.slice(0, 3).join(', ')} + ${shown.length - 3} more...` : shown.join(', ');
}

function containers(o: KubeObject): string[] {
  const cs = ((((spec(o).template ?? {}) as Obj).spec ?? {}) as Obj).containers as Obj[] | undefined;
  return [(cs ?? []).map((c) => c.name).join(','), (cs ?? []).map((c) => c.image).join(',')];
}

function jsonPath(o: KubeObject, path: string): unknown {
  let current: unknown = o;
  for (const part of path.replace(/^\./, '').split('.')) {
    if (current === undefined || current === null) return undefined;
    current = (current as Obj)[part];
  }
  return current;
}

function printerFor(info: ResourceInfo): Printer {
  const known = printers[`${info.group}/${info.resource}`];
  if (known) return known;
  if (info.printerColumns?.length) {
    return {
      columns: [
        col('Name', 'string', 0, 'name'),
        ...info.printerColumns.map((c) => ({
          ...col(c.name, c.type, c.priority ?? 0),
          description: c.description ?? '',
        })),
        col('Age', 'date'),
      ],
      cells: (o) => [
        o.metadata.name,
        ...info.printerColumns!.map((c) => jsonPath(o, c.jsonPath) ?? null),
        age(o.metadata.creationTimestamp),
      ],
    };
  }
  return {
    columns: [col('Name', 'string', 0, 'name'), col('Age', 'date')],
    cells: (o) => [o.metadata.name, age(o.metadata.creationTimestamp)],
  };
}

export function toTable(info: ResourceInfo, objects: KubeObject[], resourceVersion: string, includeObject: string) {
  const printer = printerFor(info);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: printer.columns,
    rows: objects.map((o) => ({
      cells: printer.cells(o),
      object:
        includeObject === 'Object'
          ? o
          : includeObject === 'None'
            ? undefined
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
