// Built-in resources served in more than one version, converted as kube-apiserver converts them:
// objects are stored in one version and every read, write and watch event goes through the version
// of its URL. HorizontalPodAutoscaler is stored as autoscaling/v2; autoscaling/v1 (what
// `kubectl autoscale` writes) carries the CPU target, and the v2-only parts (other metrics,
// behavior, conditions) travel in the annotations the real conversion uses, so a round trip
// through v1 keeps them.
import type { KubeObject } from '../contract.ts';
import { apiVersionOf, type ResourceInfo, typeKey } from './resources.ts';

type Obj = Record<string, unknown>;
type Convert = (object: KubeObject) => KubeObject;

interface Versions {
  storage: string;
  /** served version → storage version */
  up: Record<string, Convert>;
  /** storage version → served version */
  down: Record<string, Convert>;
}

const METRICS = 'autoscaling.alpha.kubernetes.io/metrics';
const CURRENT_METRICS = 'autoscaling.alpha.kubernetes.io/current-metrics';
const CONDITIONS = 'autoscaling.alpha.kubernetes.io/conditions';
const BEHAVIOR = 'autoscaling.alpha.kubernetes.io/behavior';

const isCpuUtilization = (m: Obj, target: 'target' | 'current') => {
  const r = (m.resource ?? {}) as Obj;
  const t = (r[target] ?? {}) as Obj;
  return m.type === 'Resource' && r.name === 'cpu' && typeof t.averageUtilization === 'number';
};

function takeAnnotation(object: KubeObject, key: string): unknown {
  const annotations = object.metadata?.annotations;
  const raw = annotations?.[key];
  if (raw === undefined) return undefined;
  delete annotations![key];
  if (Object.keys(annotations!).length === 0) delete object.metadata.annotations;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function putAnnotation(object: KubeObject, key: string, value: unknown): void {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return;
  object.metadata.annotations = { ...(object.metadata.annotations ?? {}), [key]: JSON.stringify(value) };
}

function hpaV1ToV2(object: KubeObject): KubeObject {
  const out = structuredClone(object);
  out.metadata ??= {};
  const spec = { ...((out.spec ?? {}) as Obj) };
  const cpu = spec.targetCPUUtilizationPercentage;
  delete spec.targetCPUUtilizationPercentage;
  const metrics = [
    ...(typeof cpu === 'number'
      ? [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu } } }]
      : []),
    ...(((takeAnnotation(out, METRICS) as Obj[] | undefined) ?? []) as Obj[]),
  ];
  if (metrics.length > 0) spec.metrics = metrics;
  const behavior = takeAnnotation(out, BEHAVIOR);
  if (behavior) spec.behavior = behavior;
  out.spec = spec;
  const currentMetrics = (takeAnnotation(out, CURRENT_METRICS) as Obj[] | undefined) ?? [];
  const conditions = takeAnnotation(out, CONDITIONS) as Obj[] | undefined;
  if (out.status) {
    const status = { ...(out.status as Obj) };
    const current = status.currentCPUUtilizationPercentage;
    delete status.currentCPUUtilizationPercentage;
    const all = [
      ...(typeof current === 'number'
        ? [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: current } } }]
        : []),
      ...currentMetrics,
    ];
    if (all.length > 0) status.currentMetrics = all;
    if (conditions) status.conditions = conditions;
    out.status = status;
  }
  return out;
}

function hpaV2ToV1(object: KubeObject): KubeObject {
  const out = structuredClone(object);
  out.metadata ??= {};
  const spec = { ...((out.spec ?? {}) as Obj) };
  const metrics = (spec.metrics ?? []) as Obj[];
  delete spec.metrics;
  const cpu = metrics.find((m) => isCpuUtilization(m, 'target'));
  if (cpu) {
    spec.targetCPUUtilizationPercentage = ((cpu.resource as Obj).target as Obj).averageUtilization;
  }
  putAnnotation(
    out,
    METRICS,
    metrics.filter((m) => m !== cpu),
  );
  if (spec.behavior) putAnnotation(out, BEHAVIOR, spec.behavior);
  delete spec.behavior;
  out.spec = spec;
  if (out.status) {
    const status = { ...(out.status as Obj) };
    const current = (status.currentMetrics ?? []) as Obj[];
    delete status.currentMetrics;
    const cpuNow = current.find((m) => isCpuUtilization(m, 'current'));
    if (cpuNow) status.currentCPUUtilizationPercentage = ((cpuNow.resource as Obj).current as Obj).averageUtilization;
    putAnnotation(
      out,
      CURRENT_METRICS,
      current.filter((m) => m !== cpuNow),
    );
    if (status.conditions) putAnnotation(out, CONDITIONS, status.conditions);
    delete status.conditions;
    out.status = status;
  }
  return out;
}

const multiVersion: Record<string, Versions> = {
  'autoscaling/horizontalpodautoscalers': { storage: 'v2', up: { v1: hpaV1ToV2 }, down: { v1: hpaV2ToV1 } },
};

function versionOf(apiVersion: string | undefined): string | undefined {
  return apiVersion?.split('/').at(-1);
}

/** The object in the version `info` serves (the object may come in any served version). */
export function convertTo(info: ResourceInfo, object: KubeObject): KubeObject {
  const versions = multiVersion[typeKey(info)];
  const from = versionOf(object.apiVersion);
  let out = object;
  if (versions && from && from !== info.version) {
    if (from !== versions.storage) out = versions.up[from]?.(out) ?? out;
    if (info.version !== versions.storage) out = versions.down[info.version]?.(out) ?? out;
  }
  out.apiVersion = apiVersionOf(info);
  return out;
}

/** The version objects of this resource are stored in. */
export function storageInfo(info: ResourceInfo): ResourceInfo {
  const versions = multiVersion[typeKey(info)];
  return versions && versions.storage !== info.version ? { ...info, version: versions.storage } : info;
}

/** The object converted to its storage version. */
export function toStorage(info: ResourceInfo, object: KubeObject): KubeObject {
  if (!object.apiVersion) object.apiVersion = apiVersionOf(info);
  return convertTo(storageInfo(info), object);
}
