// Watch: replay from a resourceVersion (or synthetic ADDED for the current state), then live
// events, filtered by namespace and selectors; ends cleanly at timeoutSeconds.
import type { ServerResponse } from 'node:http';
import type { KubeObject, WatchEvent } from '../contract.ts';
import type { MemoryStore } from '../store/store.ts';
import { parseFieldSelector, parseLabelSelector } from '../store/selectors.ts';
import { ApiError } from './errors.ts';
import { convertTo } from './conversion.ts';
import { type ResourceInfo, apiVersionOf, typeKey } from './resources.ts';
import { TABLE_CONTENT_TYPE, toTable } from './table.ts';

export interface WatchRequest {
  info: ResourceInfo;
  namespace: string | undefined;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  timeoutSeconds?: number;
  bookmarks: boolean;
  table: string | undefined;
}

export function serveWatch(store: MemoryStore, w: WatchRequest, res: ServerResponse): void {
  const labels = parseLabelSelector(w.labelSelector);
  const fields = parseFieldSelector(w.fieldSelector);
  const key = typeKey(w.info);
  const matches = (o: KubeObject) =>
    (!w.info.namespaced || !w.namespace || o.metadata.namespace === w.namespace) &&
    labels(o.metadata.labels) &&
    fields(o);

  res.writeHead(200, {
    'Content-Type': w.table ? TABLE_CONTENT_TYPE : 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();

  const send = (event: WatchEvent | { type: string; object: unknown }) => {
    let object = event.object as KubeObject;
    if (w.table && event.type !== 'ERROR' && event.type !== 'BOOKMARK') {
      object = toTable(w.info, [object], object.metadata.resourceVersion ?? '', w.table) as unknown as KubeObject;
    }
    res.write(`${JSON.stringify({ type: event.type, object })}\n`);
  };

  // Which objects this watcher has seen matching: an object that stops matching the selectors is
  // reported DELETED, one that starts matching ADDED, as the real watch cache does.
  const present = new Set<string>();
  const seen = new Set<string>();
  let replaying = false;
  const deliver = (type: WatchEvent['type'], object: KubeObject) => {
    const id = `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    // Replaying from a resourceVersion, an object's first MODIFIED/DELETED means it existed then.
    const was = present.has(id) || (replaying && !seen.has(id) && type !== 'ADDED');
    seen.add(id);
    const now = matches(object);
    if (type === 'DELETED') {
      present.delete(id);
      if (now || was) send({ type, object });
    } else if (now) {
      present.add(id);
      send({ type: was ? type : 'ADDED', object });
    } else if (was) {
      present.delete(id);
      send({ type: 'DELETED', object });
    }
  };

  const rv = w.resourceVersion;
  if (!rv || rv === '0') {
    for (const object of store.list(w.info, w.namespace)) deliver('ADDED', object);
  } else {
    let replay: ReturnType<MemoryStore['eventsSince']>;
    try {
      replay = store.eventsSince(Number(rv));
    } catch (error) {
      if (error instanceof ApiError) {
        send({ type: 'ERROR', object: error.toStatus() });
        res.end();
        return;
      }
      throw error;
    }
    // Objects unchanged since `rv` are known to the client as they are now.
    for (const object of store.list(w.info, w.namespace)) {
      const id = `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
      if (Number(object.metadata.resourceVersion) <= Number(rv)) {
        seen.add(id);
        if (matches(object)) present.add(id);
      }
    }
    replaying = true;
    for (const entry of replay) {
      if (entry.key !== key) continue;
      deliver(entry.event.type, convertTo(w.info, structuredClone(entry.event.object)));
    }
    replaying = false;
  }

  // Live events are delivered asynchronously: the ones up to now were already sent above.
  const sentUpTo = store.resourceVersion();
  const unsubscribe = store.subscribeAll((info, event) => {
    if (Number(event.object.metadata.resourceVersion) <= sentUpTo) return;
    if (typeKey(info) !== key) return;
    deliver(event.type, convertTo(w.info, event.object));
  });
  const timers: NodeJS.Timeout[] = [];
  if (w.bookmarks) {
    timers.push(
      setInterval(() => {
        send({
          type: 'BOOKMARK',
          object: {
            kind: w.info.kind,
            apiVersion: apiVersionOf(w.info),
            metadata: { resourceVersion: String(store.resourceVersion()) },
          },
        });
      }, 60_000),
    );
  }
  if (w.timeoutSeconds && w.timeoutSeconds > 0) timers.push(setTimeout(() => res.end(), w.timeoutSeconds * 1000));
  res.on('close', () => {
    unsubscribe();
    for (const t of timers) clearTimeout(t);
  });
}
