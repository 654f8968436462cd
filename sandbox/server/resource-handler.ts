// REST verbs on resources: get, list, watch, create, update, patch, delete, deletecollection,
// and the status and scale subresources.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../contract.ts';
import type { MemoryStore } from '../store/store.ts';
import { selectorToString } from '../store/selectors.ts';
import { decodeObject, mediaType, parseYamlBody, readBody } from './body.ts';
import { decodeApplied, decodeBody, decodePatched, directiveOf, patchValue } from './field-validation.ts';
import { ApiError, badRequest, invalid, methodNotAllowed, notFound } from './errors.ts';
import { APPLY, applyConfiguration, applyPatch } from './patching.ts';
import { apiVersionOf, type ResourceInfo } from './resources.ts';
import { TABLE_CONTENT_TYPE, toTable } from './table.ts';
import { requestToken } from './tokens.ts';
import { serveWatch } from './watch.ts';
import { identityOf, review } from './rbac.ts';

export interface ResourceRoute {
  info: ResourceInfo;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The Table flavour the Accept header asks for, if any ("Metadata", "Object", "None"). */
function wantsTable(req: IncomingMessage, query: URLSearchParams): string | undefined {
  const accept = req.headers.accept ?? '';
  if (!/as=Table/.test(accept)) return undefined;
  return query.get('includeObject') ?? 'Metadata';
}

function defaultManager(req: IncomingMessage, query: URLSearchParams): string {
  const explicit = query.get('fieldManager');
  if (explicit) return explicit;
  const agent = req.headers['user-agent'] ?? 'unknown';
  return agent.split('/')[0] || 'unknown';
}

function toScale(object: KubeObject) {
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  const status = (object.status ?? {}) as Record<string, unknown>;
  const meta = object.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
      creationTimestamp: meta.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: selectorToString(spec.selector) },
  };
}

export async function handleResource(
  store: MemoryStore,
  route: ResourceRoute,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
): Promise<void> {
  const { info, namespace, name, subresource } = route;
  const method = req.method ?? 'GET';
  const dryRun = query.getAll('dryRun').includes('All');
  const table = wantsTable(req, query);

  if (info.group === '' && info.resource === 'serviceaccounts' && subresource === 'token' && name) {
    if (method !== 'POST') throw methodNotAllowed();
    const body = decodeObject(mediaType(req), await readBody(req)) as KubeObject;
    return sendJson(res, 201, requestToken(store, namespace!, name, body, dryRun));
  }
  if (info.group === '' && info.resource === 'pods' && subresource === 'ephemeralcontainers' && name) {
    return handleEphemeralContainers(store, info, namespace, name, req, res, query, dryRun);
  }
  if (subresource && subresource !== 'status' && !(subresource === 'scale' && info.scale)) {
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }
  if (subresource === 'status' && !info.status) {
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }

  if (info.review) {
    if (method !== 'POST' || name) throw methodNotAllowed();
    const body = await readBody(req);
    const asked = decodeObject(mediaType(req), body) as KubeObject;
    return sendJson(res, 201, review(store, identityOf(req), asked));
  }

  if (!name) {
    if (method === 'GET') {
      const options = {
        labelSelector: query.get('labelSelector') ?? undefined,
        fieldSelector: query.get('fieldSelector') ?? undefined,
      };
      if (query.get('watch') === 'true' || query.get('watch') === '1') {
        const timeout = query.get('timeoutSeconds');
        serveWatch(
          store,
          {
            info,
            namespace,
            ...options,
            resourceVersion: query.get('resourceVersion') ?? undefined,
            timeoutSeconds: timeout ? Number(timeout) : undefined,
            bookmarks: query.get('allowWatchBookmarks') === 'true',
            table,
          },
          res,
        );
        return;
      }
      const page = paginate(store.list(info, namespace, options), String(store.resourceVersion()), query);
      const { items, rv } = page;
      const meta = {
        resourceVersion: rv,
        ...(page.next ? { continue: page.next, remainingItemCount: page.remaining } : {}),
      };
      if (table) {
        const body = toTable(info, items, rv, table);
        return sendJson(res, 200, { ...body, metadata: meta }, TABLE_CONTENT_TYPE);
      }
      return sendJson(res, 200, { kind: `${info.kind}List`, apiVersion: apiVersionOf(info), metadata: meta, items });
    }
    if (method === 'POST') {
      const body = decodeObject(mediaType(req), await readBody(req)) as KubeObject;
      checkKind(info, body);
      await decodeBody(info, body, directiveOf(query), res);
      body.metadata ??= {};
      if (info.namespaced) {
        if (body.metadata.namespace && namespace && body.metadata.namespace !== namespace) {
          throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
        }
        body.metadata.namespace = namespace;
      }
      const created = store.create(info, body, { fieldManager: defaultManager(req, query), dryRun });
      return sendJson(res, 201, created);
    }
    if (method === 'DELETE') {
      const options = await deleteOptions(req, query);
      const deleted: KubeObject[] = [];
      for (const item of store.list(info, namespace, {
        labelSelector: query.get('labelSelector') ?? undefined,
        fieldSelector: query.get('fieldSelector') ?? undefined,
      })) {
        store.delete(info, item.metadata.namespace, item.metadata.name!, options);
        deleted.push(item);
      }
      return sendJson(res, 200, {
        kind: `${info.kind}List`,
        apiVersion: apiVersionOf(info),
        metadata: { resourceVersion: String(store.resourceVersion()) },
        items: deleted,
      });
    }
    throw methodNotAllowed();
  }

  const current = () => store.mustGet(info, namespace, name);
  switch (method) {
    case 'GET': {
      const object = current();
      if (subresource === 'scale') return sendJson(res, 200, toScale(object));
      if (table)
        return sendJson(res, 200, toTable(info, [object], object.metadata.resourceVersion!, table), TABLE_CONTENT_TYPE);
      return sendJson(res, 200, object);
    }
    case 'PUT': {
      const body = decodeObject(mediaType(req), await readBody(req)) as KubeObject;
      body.metadata ??= {};
      if (body.metadata.name && body.metadata.name !== name) {
        throw badRequest('the name of the object does not match the name on the URL');
      }
      body.metadata.name = name;
      if (info.namespaced) body.metadata.namespace = namespace;
      if (subresource === 'scale')
        return sendJson(res, 200, toScale(scaleTo(store, info, current(), body, req, query, dryRun)));
      checkKind(info, body);
      await decodeBody(info, body, directiveOf(query), res);
      const updated = store.update(info, body, {
        fieldManager: defaultManager(req, query),
        dryRun,
        ...(subresource === 'status' ? { subresource: 'status' as const } : {}),
      });
      return sendJson(res, 200, updated);
    }
    case 'PATCH': {
      const type = mediaType(req);
      const body = await readBody(req);
      const manager = query.get('fieldManager') ?? undefined;
      const status = subresource === 'status' ? ('status' as const) : undefined;
      if (type === APPLY) {
        if (!subresource) await decodeApplied(info, parseYamlBody(body) as KubeObject, namespace, name);
        const existing = store.get(info, namespace, name);
        const merged = applyConfiguration(info, existing, body, manager, query.get('force') === 'true', status);
        merged.metadata.name = name;
        if (info.namespaced) merged.metadata.namespace = namespace;
        if (!existing) {
          if (subresource) throw notFound(info.group, info.resource, name);
          return sendJson(res, 201, store.create(info, merged, { dryRun, managedFieldsSet: true }));
        }
        merged.metadata.resourceVersion = existing.metadata.resourceVersion;
        return sendJson(
          res,
          200,
          store.update(info, merged, { dryRun, managedFieldsSet: true, ...(status ? { subresource: status } : {}) }),
        );
      }
      const existing = current();
      if (subresource === 'scale') {
        const patched = applyPatch(info, toScale(existing) as unknown as KubeObject, type, body);
        return sendJson(res, 200, toScale(scaleTo(store, info, existing, patched, req, query, dryRun)));
      }
      const patched = applyPatch(info, existing, type, body);
      if (!subresource)
        await decodePatched(info, existing, patched, patchValue(type, body, patched), directiveOf(query), res);
      patched.metadata ??= {};
      patched.metadata.name = name;
      if (info.namespaced) patched.metadata.namespace = namespace;
      if (!patched.metadata.resourceVersion) patched.metadata.resourceVersion = existing.metadata.resourceVersion;
      const updated = store.update(info, patched, {
        fieldManager: manager ?? defaultManager(req, query),
        dryRun,
        ...(status ? { subresource: status } : {}),
      });
      return sendJson(res, 200, updated);
    }
    case 'DELETE': {
      const options = await deleteOptions(req, query);
      const before = current();
      const left = store.delete(info, namespace, name, options);
      if (left || (info.group === '' && info.resource === 'pods')) return sendJson(res, 200, left ?? before);
      return sendJson(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, ...(info.group ? { group: info.group } : {}), kind: info.resource, uid: before.metadata.uid },
      });
    }
    default:
      throw methodNotAllowed();
  }
}

/**
 * pods/{name}/ephemeralcontainers (`kubectl debug`): only spec.ephemeralContainers changes, and
 * an ephemeral container can be added but not changed or removed.
 */
async function handleEphemeralContainers(
  store: MemoryStore,
  info: ResourceInfo,
  namespace: string | undefined,
  name: string,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  dryRun: boolean,
): Promise<void> {
  const method = req.method ?? 'GET';
  const existing = store.mustGet(info, namespace, name);
  if (method === 'GET') return sendJson(res, 200, existing);
  let wanted: KubeObject;
  const body = await readBody(req);
  if (method === 'PATCH') wanted = applyPatch(info, existing, mediaType(req), body);
  else if (method === 'PUT') wanted = decodeObject(mediaType(req), body) as KubeObject;
  else throw methodNotAllowed();
  type C = { name: string };
  const before = ((existing.spec as { ephemeralContainers?: C[] }).ephemeralContainers ?? []) as C[];
  const after = ((wanted.spec as { ephemeralContainers?: C[] } | undefined)?.ephemeralContainers ?? []) as C[];
  for (const [i, c] of before.entries()) {
    const now = after.find((a) => a.name === c.name);
    if (!now || JSON.stringify(now) !== JSON.stringify(c)) {
      throw invalid('', 'Pod', name, [
        {
          reason: 'FieldValueForbidden',
          message: 'Forbidden: existing ephemeral containers may not be changed',
          field: `spec.ephemeralContainers[${i}]`,
        },
      ]);
    }
  }
  const next = structuredClone(existing);
  (next.spec as Record<string, unknown>).ephemeralContainers = after;
  return sendJson(
    res,
    200,
    store.update(info, next, { fieldManager: query.get('fieldManager') ?? defaultManager(req, query), dryRun }),
  );
}

/**
 * `limit` and `continue`: pages in name order (namespace/name), the token naming the last key
 * served and the resourceVersion of the first page, as kube-apiserver's tokens do.
 */
function paginate(
  all: KubeObject[],
  currentRv: string,
  query: URLSearchParams,
): { items: KubeObject[]; rv: string; next?: string; remaining?: number } {
  const limit = Number(query.get('limit') ?? 0);
  const token = query.get('continue');
  let rv = currentRv;
  let items = all;
  if (token) {
    let parsed: { v?: string; rv?: number; start?: string };
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    } catch {
      parsed = {};
    }
    if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.start !== 'string' || typeof parsed.rv !== 'number') {
      throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
    }
    rv = String(parsed.rv);
    // the list is in the store's order; the token's key is the last one served, plus NUL
    const last = parsed.start.replace(/\u0000$/, '');
    const at = all.findIndex((o) => keyOf(o) === last);
    items = at >= 0 ? all.slice(at + 1) : all.filter((o) => keyOf(o).localeCompare(last) > 0);
  }
  if (!(limit > 0) || items.length <= limit) return { items, rv };
  const shown = items.slice(0, limit);
  const next = Buffer.from(
    JSON.stringify({ v: 'meta.k8s.io/v1', rv: Number(rv), start: `${keyOf(shown.at(-1)!)}\u0000` }),
  ).toString('base64');
  return { items: shown, rv, next, remaining: items.length - limit };
}

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function checkKind(info: ResourceInfo, body: KubeObject): void {
  if (body.kind && body.kind !== info.kind) {
    throw badRequest(
      `the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersionOf(info)}) or kind ${body.kind} is not ${info.kind}`,
    );
  }
}

function scaleTo(
  store: MemoryStore,
  info: ResourceInfo,
  existing: KubeObject,
  scale: KubeObject,
  req: IncomingMessage,
  query: URLSearchParams,
  dryRun: boolean,
): KubeObject {
  const replicas = (scale.spec as { replicas?: number } | undefined)?.replicas;
  if (typeof replicas !== 'number') throw badRequest('Scale.spec.replicas must be a number');
  const wantedRv = scale.metadata?.resourceVersion;
  const next = structuredClone(existing);
  (next.spec as Record<string, unknown>).replicas = replicas;
  next.metadata.resourceVersion = wantedRv || existing.metadata.resourceVersion;
  return store.update(info, next, { fieldManager: defaultManager(req, query), dryRun });
}

async function deleteOptions(req: IncomingMessage, query: URLSearchParams) {
  const body = await readBody(req);
  const options = body.length > 0 ? (decodeObject(mediaType(req), body) as Record<string, unknown>) : {};
  const grace = query.get('gracePeriodSeconds') ?? options.gracePeriodSeconds;
  let policy = (query.get('propagationPolicy') ?? options.propagationPolicy) as
    | 'Background'
    | 'Foreground'
    | 'Orphan'
    | undefined;
  if (options.orphanDependents === true || query.get('orphanDependents') === 'true') policy = 'Orphan';
  const dryRun = [...query.getAll('dryRun'), ...((options.dryRun as string[]) ?? [])].includes('All');
  return {
    ...(grace !== undefined && grace !== null ? { gracePeriodSeconds: Number(grace) } : {}),
    ...(policy ? { propagationPolicy: policy } : {}),
    dryRun,
    ...(options.preconditions
      ? { preconditions: options.preconditions as { uid?: string; resourceVersion?: string } }
      : {}),
  };
}
