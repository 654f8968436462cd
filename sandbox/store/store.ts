// The object store: one global resourceVersion, a bounded event history for watch replay,
// and the API's create/update/delete semantics shared by HTTP handlers, controllers and the kubelet.
import { randomUUID } from 'node:crypto';
import type { KubeObject, ListOptions, ResourceType, Store, WatchEvent } from '../contract.ts';
import { ApiError, alreadyExists, conflict, invalid, notFound } from '../server/errors.ts';
import { convertTo, toStorage } from '../server/conversion.ts';
import { type Registry, type ResourceInfo, typeKey } from '../server/resources.ts';
import { recordUpdate } from '../patch/managed.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';

export interface Admission {
  /** Defaults and validates an object about to be written (old is undefined on create). */
  admit(info: ResourceInfo, object: KubeObject, old: KubeObject | undefined, dryRun?: boolean): void;
  /** Called after an object left the store for good. */
  removed(info: ResourceInfo, object: KubeObject): void;
}

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
  subresource?: 'status';
  /** managedFields were computed by the caller (server-side apply) */
  managedFieldsSet?: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  dryRun?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface HistoryEntry {
  rv: number;
  key: string;
  namespace: string;
  event: WatchEvent;
}

type Listener = (info: ResourceInfo, event: WatchEvent) => void;

/** Events kept for watch replay; older resourceVersions get 410 Expired (tests lower it). */
const HISTORY_LIMIT = Number(process.env.KLOOP_SANDBOX_WATCH_HISTORY) || 20000;
const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++) out += nameAlphabet[Math.floor(Math.random() * nameAlphabet.length)];
  return out;
}

export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** Everything but metadata and status: a change here bumps metadata.generation. */
function specPart(object: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = object;
  return JSON.stringify(rest);
}

function comparable(object: KubeObject): string {
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = object.metadata;
  return JSON.stringify({ ...object, metadata: meta });
}

export class MemoryStore implements Store {
  readonly registry: Registry;
  admission: Admission | undefined;
  private objects = new Map<string, Map<string, KubeObject>>();
  private rv = 1;
  private history: HistoryEntry[] = [];
  private oldestRv = 1;
  private listeners = new Set<Listener>();
  private pending: Array<[ResourceInfo, WatchEvent]> = [];

  constructor(registry: Registry) {
    this.registry = registry;
  }

  resourceVersion(): number {
    return this.rv;
  }

  info(type: ResourceType): ResourceInfo {
    const info = this.registry.find(type.group, type.version, type.resource);
    if (!info) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    return info;
  }

  private bucket(info: ResourceInfo): Map<string, KubeObject> {
    const key = typeKey(info);
    let bucket = this.objects.get(key);
    if (!bucket) {
      bucket = new Map();
      this.objects.set(key, bucket);
    }
    return bucket;
  }

  /** Objects keep the apiVersion they are read through (custom resources may serve several). */
  private view(info: ResourceInfo, object: KubeObject): KubeObject {
    return convertTo(info, structuredClone(object));
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const info = this.info(type);
    const found = this.bucket(info).get(objectKey(info.namespaced ? namespace : undefined, name));
    return found ? this.view(info, found) : undefined;
  }

  mustGet(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.get(type, namespace, name);
    if (!found) throw notFound(type.group, type.resource, name);
    return found;
  }

  list(type: ResourceType, namespace: string | undefined, options: ListOptions = {}): KubeObject[] {
    const info = this.info(type);
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(options.fieldSelector);
    const out: KubeObject[] = [];
    for (const object of this.bucket(info).values()) {
      if (info.namespaced && namespace && object.metadata.namespace !== namespace) continue;
      if (!labels(object.metadata.labels) || !fields(object)) continue;
      out.push(this.view(info, object));
    }
    return out.sort((a, b) =>
      objectKey(a.metadata.namespace, a.metadata.name!).localeCompare(
        objectKey(b.metadata.namespace, b.metadata.name!),
      ),
    );
  }

  private checkNamespace(info: ResourceInfo, object: KubeObject, verb: 'create'): void {
    if (!info.namespaced) return;
    const ns = object.metadata.namespace;
    if (!ns) {
      throw new ApiError(400, 'BadRequest', 'the server could not find the requested resource (namespace required)');
    }
    const namespace = this.bucket(this.registry.find('', 'v1', 'namespaces')!).get(objectKey(undefined, ns));
    if (!namespace) throw notFound('', 'namespaces', ns);
    if (namespace.metadata.deletionTimestamp && verb === 'create') {
      throw new ApiError(
        403,
        'Forbidden',
        `${info.resource}${info.group ? `.${info.group}` : ''} "${object.metadata.name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
        { name: object.metadata.name, ...(info.group ? { group: info.group } : {}), kind: info.resource },
      );
    }
  }

  create(type: ResourceType, input: KubeObject, options: WriteOptions = {}): KubeObject {
    const info = this.info(type);
    const object = toStorage(info, structuredClone(input));
    object.kind = info.kind;
    object.metadata ??= {};
    const meta = object.metadata;
    if (!info.namespaced) delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
    if (!meta.name) {
      throw invalid(info.group, info.kind, '', [
        {
          reason: 'FieldValueRequired',
          message: 'Required value: name or generateName is required',
          field: 'metadata.name',
        },
      ]);
    }
    this.checkNamespace(info, object, 'create');
    const bucket = this.bucket(info);
    const key = objectKey(meta.namespace, meta.name);
    if (bucket.has(key)) throw alreadyExists(info.group, info.resource, meta.name);
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp();
    meta.generation = 1;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (info.status && info.resource !== 'namespaces') delete object.status;
    this.admission?.admit(info, object, undefined, options.dryRun);
    meta.managedFields = [];
    if (options.managedFieldsSet) meta.managedFields = input.metadata.managedFields ?? [];
    else if (options.fieldManager) recordUpdate(undefined, object, options.fieldManager, !info.custom);
    if (options.dryRun) return this.view(info, object);
    meta.resourceVersion = String(++this.rv);
    bucket.set(key, object);
    this.emit(info, { type: 'ADDED', object });
    return this.view(info, object);
  }

  update(type: ResourceType, given: KubeObject, options: WriteOptions = {}): KubeObject {
    const info = this.info(type);
    const input = toStorage(info, structuredClone(given));
    const name = input.metadata?.name ?? '';
    const namespace = info.namespaced ? input.metadata?.namespace : undefined;
    const bucket = this.bucket(info);
    const key = objectKey(namespace, name);
    const existing = bucket.get(key);
    if (!existing) throw notFound(info.group, info.resource, name);
    const wantedRv = input.metadata.resourceVersion;
    if (wantedRv && wantedRv !== existing.metadata.resourceVersion) throw conflict(info.group, info.resource, name);
    if (input.metadata.uid && input.metadata.uid !== existing.metadata.uid)
      throw conflict(info.group, info.resource, name);

    let next: KubeObject;
    if (options.subresource === 'status') {
      next = structuredClone(existing);
      next.status = structuredClone(input.status);
      if (info.resource === 'namespaces') next.spec = structuredClone(input.spec);
    } else {
      next = structuredClone(input);
      next.kind = info.kind;
      if (info.status && info.resource !== 'namespaces') {
        if (existing.status === undefined) delete next.status;
        else next.status = structuredClone(existing.status);
      }
    }
    const meta = next.metadata;
    const old = existing.metadata;
    meta.name = old.name;
    if (info.namespaced) meta.namespace = old.namespace;
    else delete meta.namespace;
    meta.uid = old.uid;
    meta.creationTimestamp = old.creationTimestamp;
    meta.generation = old.generation;
    if (old.deletionTimestamp) {
      meta.deletionTimestamp = old.deletionTimestamp;
      meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    if (old.generateName && !meta.generateName) meta.generateName = old.generateName;
    if (options.subresource !== 'status') this.admission?.admit(info, next, existing, options.dryRun);
    if (specPart(next) !== specPart(existing)) meta.generation = (old.generation ?? 1) + 1;
    if (!options.managedFieldsSet) {
      meta.managedFields = input.metadata.managedFields ?? existing.metadata.managedFields ?? [];
      if (options.fieldManager) recordUpdate(existing, next, options.fieldManager, !info.custom, options.subresource);
    }
    if (comparable(next) === comparable(existing)) return this.view(info, existing);
    if (options.dryRun) return this.view(info, next);
    meta.resourceVersion = String(++this.rv);
    if (meta.deletionTimestamp && this.finalized(info, next)) {
      bucket.delete(key);
      this.emit(info, { type: 'DELETED', object: next });
      this.admission?.removed(info, next);
      return this.view(info, next);
    }
    bucket.set(key, next);
    this.emit(info, { type: 'MODIFIED', object: next });
    return this.view(info, next);
  }

  /** A marked object leaves once nothing holds it: no finalizers and (pods) the kubelet is done. */
  private finalized(info: ResourceInfo, object: KubeObject): boolean {
    if ((object.metadata.finalizers ?? []).length > 0) return false;
    if (info.resource === 'namespaces')
      return ((object.spec as { finalizers?: string[] })?.finalizers ?? []).length === 0;
    if (info.group === '' && info.resource === 'pods') return object.metadata.deletionGracePeriodSeconds === 0;
    return true;
  }

  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): KubeObject | undefined {
    const info = this.info(type);
    const bucket = this.bucket(info);
    const key = objectKey(info.namespaced ? namespace : undefined, name);
    const existing = bucket.get(key);
    if (!existing) throw notFound(info.group, info.resource, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== existing.metadata.uid) {
      throw new ApiError(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(info.group, info.resource, name);
    }
    if (options.dryRun) return this.view(info, existing);
    const next = structuredClone(existing);
    const meta = next.metadata;
    const finalizers = new Set(meta.finalizers ?? []);
    if (!meta.deletionTimestamp) {
      if (options.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
      if (options.propagationPolicy === 'Orphan') finalizers.add('orphan');
    }
    if (finalizers.size > 0) meta.finalizers = [...finalizers];

    const isPod = info.group === '' && info.resource === 'pods';
    const isNamespace = info.group === '' && info.resource === 'namespaces';
    let grace = 0;
    if (isPod) {
      const spec = (next.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
      grace = options.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
      if (!spec.nodeName) grace = 0;
      if (meta.deletionGracePeriodSeconds !== undefined) grace = Math.min(grace, meta.deletionGracePeriodSeconds);
    }
    if (isNamespace && next.status) (next.status as Record<string, unknown>).phase = 'Terminating';
    const newlyMarked = !meta.deletionTimestamp || meta.deletionGracePeriodSeconds !== grace;
    if (!meta.deletionTimestamp || (isPod && grace < (meta.deletionGracePeriodSeconds ?? grace + 1))) {
      meta.deletionTimestamp = timestamp(new Date(Date.now() + grace * 1000));
    }
    meta.deletionGracePeriodSeconds = grace;
    meta.resourceVersion = String(++this.rv);
    if (this.finalized(info, next)) {
      bucket.delete(key);
      this.emit(info, { type: 'DELETED', object: next });
      this.admission?.removed(info, next);
      return undefined;
    }
    if (newlyMarked || comparable(next) !== comparable(existing)) {
      bucket.set(key, next);
      this.emit(info, { type: 'MODIFIED', object: next });
    } else this.rv--;
    return this.view(info, bucket.get(key)!);
  }

  /** Removes an object whatever holds it (namespace cleanup of custom resources whose CRD is gone). */
  forget(info: ResourceInfo, object: KubeObject): void {
    const key = objectKey(object.metadata.namespace, object.metadata.name!);
    const found = this.bucket(info).get(key);
    if (!found) return;
    this.bucket(info).delete(key);
    const last = structuredClone(found);
    last.metadata.resourceVersion = String(++this.rv);
    this.emit(info, { type: 'DELETED', object: last });
  }

  subscribe(type: ResourceType, listener: (event: WatchEvent) => void): () => void {
    const key = typeKey(type);
    return this.subscribeAll((info, event) => {
      if (typeKey(info) === key) listener(event);
    });
  }

  subscribeAll(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events after resourceVersion `since`, or 410 Expired when history no longer reaches back. */
  eventsSince(since: number): HistoryEntry[] {
    if (since < this.oldestRv - 1) {
      throw new ApiError(410, 'Expired', `too old resource version: ${since} (${this.oldestRv})`);
    }
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid]!.rv <= since) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  private emit(info: ResourceInfo, event: WatchEvent): void {
    const rv = Number(event.object.metadata.resourceVersion);
    this.history.push({ rv, key: typeKey(info), namespace: event.object.metadata.namespace ?? '', event });
    if (this.history.length > HISTORY_LIMIT) {
      this.history.splice(0, this.history.length - HISTORY_LIMIT);
      this.oldestRv = this.history[0]!.rv;
    }
    // Delivered after the write returns, in order, as a real watch would: a subscriber that
    // writes from inside its callback must not see its own write half-done.
    this.pending.push([info, event]);
    if (this.pending.length === 1) queueMicrotask(() => this.deliver());
  }

  private deliver(): void {
    const batch = this.pending;
    this.pending = [];
    for (const [info, event] of batch) {
      for (const listener of [...this.listeners]) {
        try {
          listener(info, { type: event.type, object: this.view(info, event.object) });
        } catch (error) {
          console.error(`sandbox: watcher failed: ${(error as Error).stack}`);
        }
      }
    }
  }
}
