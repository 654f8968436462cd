// Validation of rendered objects, offline: built-in kinds against the Kubernetes OpenAPI schemas
// bundled in `kubernetes-models`, custom resources against the openAPIV3Schema of CRDs found in the
// same render, API versions against the removals up to the project's kubeVersion, and unknown
// fields of built-in kinds (strict, as kubectl's default field validation).
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { KloopError } from '../errors.ts';
import { at, describe, groupOf, type Origin, originOf } from './objects.ts';
import { unknownCustomFields, unknownFields } from './strict.ts';
import type { KubeObject } from './types.ts';
import { kubeNumber } from './yaml.ts';

interface Model {
  new (data: unknown): { validate(): void };
  kind?: string;
}

const models = new Map<string, Model | null>();

/** The kubernetes-models class of an apiVersion/kind, or null when the package has none. */
async function modelFor(apiVersion: string, kind: string): Promise<Model | null> {
  const key = `${apiVersion}/${kind}`;
  if (models.has(key)) return models.get(key)!;
  let model: Model | null = null;
  if (/^[a-zA-Z0-9.-]+(\/[a-z0-9]+)?$/.test(apiVersion) && /^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    try {
      const mod = (await import(`kubernetes-models/${apiVersion}/${kind}`)) as Record<string, Model>;
      const m = mod[kind];
      model = m && m.kind === kind ? m : null;
    } catch {
      model = null;
    }
  }
  models.set(key, model);
  return model;
}

// APIs removed from Kubernetes (the deprecation guide): rendering them for a newer cluster fails there.
const removed: Array<[group: string, version: string, kind: string | '*', removedIn: number]> = [
  ['extensions', 'v1beta1', '*', 22],
  ['apps', 'v1beta1', '*', 16],
  ['apps', 'v1beta2', '*', 16],
  ['networking.k8s.io', 'v1beta1', 'Ingress', 22],
  ['networking.k8s.io', 'v1beta1', 'IngressClass', 22],
  ['apiextensions.k8s.io', 'v1beta1', '*', 22],
  ['admissionregistration.k8s.io', 'v1beta1', 'MutatingWebhookConfiguration', 22],
  ['admissionregistration.k8s.io', 'v1beta1', 'ValidatingWebhookConfiguration', 22],
  ['rbac.authorization.k8s.io', 'v1beta1', '*', 22],
  ['scheduling.k8s.io', 'v1beta1', '*', 22],
  ['storage.k8s.io', 'v1beta1', 'CSIDriver', 22],
  ['storage.k8s.io', 'v1beta1', 'StorageClass', 22],
  ['storage.k8s.io', 'v1beta1', 'CSIStorageCapacity', 27],
  ['batch', 'v1beta1', 'CronJob', 25],
  ['policy', 'v1beta1', 'PodDisruptionBudget', 25],
  ['policy', 'v1beta1', 'PodSecurityPolicy', 25],
  ['discovery.k8s.io', 'v1beta1', 'EndpointSlice', 25],
  ['autoscaling', 'v2beta1', 'HorizontalPodAutoscaler', 25],
  ['autoscaling', 'v2beta2', 'HorizontalPodAutoscaler', 26],
  ['flowcontrol.apiserver.k8s.io', 'v1beta1', '*', 26],
  ['flowcontrol.apiserver.k8s.io', 'v1beta2', '*', 29],
  ['flowcontrol.apiserver.k8s.io', 'v1beta3', '*', 32],
];

// APIs that became available later: rendering them for an older cluster fails there.
const introduced: Array<[group: string, version: string, kind: string | '*', since: number]> = [
  ['apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 16],
  ['networking.k8s.io', 'v1', 'Ingress', 19],
  ['networking.k8s.io', 'v1', 'IngressClass', 19],
  ['certificates.k8s.io', 'v1', 'CertificateSigningRequest', 19],
  ['batch', 'v1', 'CronJob', 21],
  ['policy', 'v1', 'PodDisruptionBudget', 21],
  ['discovery.k8s.io', 'v1', 'EndpointSlice', 21],
  ['autoscaling', 'v2', '*', 23],
  ['storage.k8s.io', 'v1', 'CSIStorageCapacity', 24],
  ['authentication.k8s.io', 'v1', 'SelfSubjectReview', 28],
  ['flowcontrol.apiserver.k8s.io', 'v1', '*', 29],
  ['admissionregistration.k8s.io', 'v1', 'ValidatingAdmissionPolicy', 30],
  ['admissionregistration.k8s.io', 'v1', 'ValidatingAdmissionPolicyBinding', 30],
  ['resource.k8s.io', 'v1beta2', '*', 33],
  ['networking.k8s.io', 'v1', 'IPAddress', 33],
  ['networking.k8s.io', 'v1', 'ServiceCIDR', 33],
  ['resource.k8s.io', 'v1', '*', 34],
  ['storage.k8s.io', 'v1', 'VolumeAttributesClass', 34],
];

/** The minor version an API first appeared in, when that is after kubeVersion. */
export function unavailableApi(o: KubeObject, kubeVersion: string): number | undefined {
  const minor = minorOf(kubeVersion);
  if (minor === undefined) return undefined;
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  for (const [g, v, k, since] of introduced) {
    if (g === group && v === version && (k === '*' || k === o.kind) && minor < since) return since;
  }
  return undefined;
}

function minorOf(kubeVersion: string): number | undefined {
  const m = /^v?1\.(\d+)/.exec(kubeVersion);
  return m ? Number(m[1]) : undefined;
}

export function removedApi(o: KubeObject, kubeVersion: string): number | undefined {
  const minor = minorOf(kubeVersion);
  if (minor === undefined) return undefined;
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  for (const [g, v, k, at] of removed) {
    if (g === group && v === version && (k === '*' || k === o.kind) && minor >= at) return at;
  }
  return undefined;
}

/** `/spec/containers/0/image` -> `spec.containers[0].image` */
export function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function describeError(e: ErrorObject, origin?: Origin): string {
  const where = fieldPath(e.instancePath) || '(object)';
  const scalar = origin?.scalars[e.instancePath];
  if (e.keyword === 'type' && scalar) {
    // the classic YAML 1.1 trap: `value: yes`, `mode: 0755` written where a string is meant
    const wanted = (e.params as { type?: string }).type ?? 'another type';
    return `${where}: unquoted ${scalar.text} at ${at(origin, scalar.line)} is read by Kubernetes as ${readAs(scalar.text)} where a ${wanted} is wanted; quote it: "${scalar.text}"`;
  }
  if (e.keyword === 'enum')
    return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  if (e.keyword === 'required')
    return `${where}: ${(e.params as { missingProperty: string }).missingProperty} is required`;
  return `${where}: ${e.message ?? e.keyword}`;
}

function readAs(text: string): string {
  if (/^(?:y|yes|on|true|n|no|off|false)$/i.test(text)) return `the boolean ${/^(?:y|yes|on|true)$/i.test(text)}`;
  const n = kubeNumber(text);
  return n === undefined ? 'null' : `the number ${n}`;
}

/** Compiles validators for every version of every CRD in the render, by apiVersion/kind. */
let ajv: Ajv | undefined;
// Compiled CRD schemas by their text: a dev loop re-validates the same CRDs on every render.
const compiled = new Map<string, ValidateFunction>();

function compile(schema: object): ValidateFunction {
  const key = JSON.stringify(schema);
  let fn = compiled.get(key);
  if (!fn) {
    ajv ??= new Ajv({ strict: false, allErrors: true, validateFormats: false, logger: false, addUsedSchema: false });
    fn = ajv.compile(schema);
    compiled.set(key, fn);
  }
  return fn;
}

function crdValidators(objects: readonly KubeObject[]): Map<string, { fn: ValidateFunction; schema: object }> {
  const out = new Map<string, { fn: ValidateFunction; schema: object }>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition' || groupOf(o.apiVersion) !== 'apiextensions.k8s.io') continue;
    const spec = o.spec as {
      group?: string;
      names?: { kind?: string };
      versions?: Array<{ name: string; schema?: { openAPIV3Schema?: object } }>;
    };
    for (const v of spec?.versions ?? []) {
      const schema = v.schema?.openAPIV3Schema;
      if (!schema || !spec.group || !spec.names?.kind) continue;
      try {
        out.set(`${spec.group}/${v.name}/${spec.names.kind}`, { fn: compile(schema), schema });
      } catch (e) {
        throw new KloopError(`invalid openAPIV3Schema in ${describe(o)} version ${v.name}: ${(e as Error).message}`);
      }
    }
  }
  return out;
}

/**
 * A SOPS-encrypted Secret carries a top-level `sops:` block and encrypted values; it is not a valid
 * Secret until Flux decrypts it, so schema checks skip it (as kubeconform does for SOPS files).
 */
function isSopsEncrypted(o: KubeObject): boolean {
  return o.apiVersion === 'v1' && o.kind === 'Secret' && typeof (o as Record<string, unknown>).sops === 'object';
}

export interface ValidationOutcome {
  errors: string[];
  /** objects no schema covered (custom resources whose CRD is not in the render) */
  unchecked: string[];
}

/** Validates objects; custom resources against the CRDs among `render` (default: the objects themselves). */
export async function validateObjects(
  objects: readonly KubeObject[],
  kubeVersion: string,
  render: readonly KubeObject[] = objects,
): Promise<ValidationOutcome> {
  const errors: string[] = [];
  const unchecked: string[] = [];
  const crds = crdValidators(render);
  for (const o of objects) {
    const origin = originOf(o);
    const name = describe(o);
    // where the object was read, after the message (messages start with the object, as before)
    const from = origin ? ` (${at(origin)})` : '';
    const removedIn = removedApi(o, kubeVersion);
    if (removedIn) {
      errors.push(`${name}: apiVersion ${o.apiVersion} ${o.kind} was removed in Kubernetes 1.${removedIn}`);
      continue;
    }
    const since = unavailableApi(o, kubeVersion);
    if (since) {
      errors.push(
        `${name}: apiVersion ${o.apiVersion} ${o.kind} exists from Kubernetes 1.${since}, not in ${kubeVersion}`,
      );
      continue;
    }
    const crd = crds.get(`${o.apiVersion}/${o.kind}`);
    if (crd) {
      if (!crd.fn(o)) for (const e of crd.fn.errors ?? []) errors.push(`${name}: ${describeError(e, origin)}${from}`);
      for (const field of unknownCustomFields(o, crd.schema)) errors.push(`${name}: ${field}: unknown field${from}`);
      continue;
    }
    if (isSopsEncrypted(o)) continue;
    const model = await modelFor(o.apiVersion, o.kind);
    if (!model) {
      unchecked.push(name);
      continue;
    }
    try {
      new model(o).validate();
    } catch (e) {
      const list = (e as { errors?: ErrorObject[] }).errors;
      if (!Array.isArray(list)) throw e;
      for (const err of list) errors.push(`${name}: ${describeError(err, origin)}${from}`);
    }
    for (const field of (await unknownFields(o)) ?? []) errors.push(`${name}: ${field}: unknown field${from}`);
  }
  return { errors, unchecked };
}
