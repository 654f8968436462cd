// Validation of the fields whose mistakes users actually make; answers 422 Invalid with causes.
import type { KubeObject } from '../contract.ts';
import { crdSchemaCauses } from './crd-schema.ts';
import { invalid, type StatusCause } from './errors.ts';
import type { ResourceInfo } from './resources.ts';

const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const subdomainMessage =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelMessage =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Kinds whose names must be DNS labels rather than subdomains. */
const labelNamed = new Set(['/Namespace', '/Service']);

type Obj = Record<string, unknown>;

function invalidValue(field: string, value: unknown, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${detail}`, field };
}
function required(field: string): StatusCause {
  return { reason: 'FieldValueRequired', message: 'Required value', field };
}

function validateContainers(spec: Obj | undefined, path: string, causes: StatusCause[]): void {
  const containers = (spec?.containers ?? []) as Obj[];
  if (containers.length === 0) causes.push(required(`${path}.containers`));
  containers.forEach((c, i) => {
    if (!c.name) causes.push(required(`${path}.containers[${i}].name`));
    else if (!label.test(String(c.name)))
      causes.push(invalidValue(`${path}.containers[${i}].name`, c.name, labelMessage));
    if (!c.image) causes.push(required(`${path}.containers[${i}].image`));
  });
}

export function validate(info: ResourceInfo, object: KubeObject): void {
  const causes: StatusCause[] = [];
  const name = object.metadata.name ?? '';
  const id = `${info.group}/${info.kind}`;
  const pattern = labelNamed.has(id) ? label : subdomain;
  if (!info.custom && !pattern.test(name)) {
    causes.push(invalidValue('metadata.name', name, pattern === label ? labelMessage : subdomainMessage));
  }
  for (const [k, v] of Object.entries(object.metadata.labels ?? {})) {
    if (typeof v !== 'string' || v.length > 63 || !labelValue.test(v)) {
      causes.push(
        invalidValue(
          `metadata.labels`,
          v,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
      );
      void k;
    }
  }
  if (info.custom && info.schema) causes.push(...crdSchemaCauses(info.schema, object as unknown as Obj));
  const spec = object.spec as Obj | undefined;
  switch (id) {
    case '/Pod':
      validateContainers(spec, 'spec', causes);
      break;
    case 'apps/Deployment':
    case 'apps/ReplicaSet':
    case 'apps/StatefulSet':
    case 'apps/DaemonSet': {
      const template = spec?.template as Obj | undefined;
      validateContainers(template?.spec as Obj | undefined, 'spec.template.spec', causes);
      const selector = (spec?.selector as Obj | undefined)?.matchLabels as Record<string, string> | undefined;
      const labels = ((template?.metadata as Obj | undefined)?.labels ?? {}) as Record<string, string>;
      if (!spec?.selector) causes.push(required('spec.selector'));
      else if (selector && Object.entries(selector).some(([k, v]) => labels[k] !== v)) {
        causes.push(
          invalidValue('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'),
        );
      }
      if (typeof spec?.replicas === 'number' && spec.replicas < 0) {
        causes.push(invalidValue('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
      }
      break;
    }
    case 'batch/Job': {
      const template = spec?.template as Obj | undefined;
      const podSpec = template?.spec as Obj | undefined;
      validateContainers(podSpec, 'spec.template.spec', causes);
      const policy = podSpec?.restartPolicy;
      if (policy !== 'Never' && policy !== 'OnFailure') {
        causes.push({
          reason: 'FieldValueNotSupported',
          message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "OnFailure", "Never"`,
          field: 'spec.template.spec.restartPolicy',
        });
      }
      break;
    }
    case '/Service':
      for (const [i, p] of ((spec?.ports ?? []) as Obj[]).entries()) {
        if (typeof p.port !== 'number' || p.port < 1 || p.port > 65535) {
          causes.push(invalidValue(`spec.ports[${i}].port`, p.port ?? 0, 'must be between 1 and 65535, inclusive'));
        }
      }
      break;
    case 'apiextensions.k8s.io/CustomResourceDefinition': {
      const names = (spec?.names ?? {}) as Obj;
      const expected = `${names.plural}.${spec?.group}`;
      if (name !== expected)
        causes.push(invalidValue('metadata.name', name, `must be spec.names.plural+"."+spec.group`));
      break;
    }
  }
  if (causes.length > 0) throw invalid(info.group, info.kind, name, causes);
}
