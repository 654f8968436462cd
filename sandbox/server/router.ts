// URL → resource route: /api/v1/... and /apis/<group>/<version>/..., namespaced or not.
import { ApiError } from './errors.ts';
import type { Registry } from './resources.ts';
import type { ResourceRoute } from './resource-handler.ts';

const notFound = () => new ApiError(404, 'NotFound', 'the server could not find the requested resource');

export function parseResourcePath(registry: Registry, pathname: string): ResourceRoute | undefined {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else return undefined;

  let namespace: string | undefined;
  // /namespaces/{ns}/{resource}/... is namespaced; /namespaces and /namespaces/{name}[/status] are the Namespace.
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(group === '' && ['status', 'finalize'].includes(rest[2]!) && rest.length === 3)
  ) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = rest;
  if (!resource || extra.length > 0) throw notFound();
  const info = registry.find(group, version, resource);
  if (!info) throw notFound();
  if (namespace !== undefined && !info.namespaced) throw notFound();
  return { info, namespace, name, subresource: subresource === 'finalize' ? 'status' : subresource };
}
