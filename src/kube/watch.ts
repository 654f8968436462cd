// List + watch with the resilience client-node's Watch lacks: a server-side timeout, bookmarks,
// an idle timer of our own (a silently dead connection is noticed and re-established), resume
// from the last resourceVersion, and a relist on 410 Expired.
import type { IncomingMessage } from 'node:http';
import { ApiError, type KubeClient } from './client.ts';
import type { KubeObject } from './types.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchCallbacks {
  /** the complete current set: after the first list and after every relist */
  onList(items: KubeObject[]): void;
  onEvent(type: WatchEventType, obj: KubeObject): void;
  /** a failure the watch cannot recover from (e.g. 403); the watch has stopped */
  onError?(error: Error): void;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** reconnect when nothing (not even a bookmark) arrived for this long; default 60 s */
  idleMs?: number;
}

export interface Watcher {
  stop(): void;
}

interface List {
  metadata?: { resourceVersion?: string };
  items?: KubeObject[];
}

export function watchCollection(
  client: KubeClient,
  path: string,
  callbacks: WatchCallbacks,
  options: WatchOptions = {},
): Watcher {
  const idleMs = options.idleMs ?? 60_000;
  let stopped = false;
  let current: IncomingMessage | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;

  const selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };

  async function list(): Promise<string> {
    const res = await client.request<List>({ path, query: selectors });
    if (!stopped) callbacks.onList(res.items ?? []);
    return res.metadata?.resourceVersion ?? '';
  }

  /** Watches from rv until the stream ends; returns the rv to resume from, or '' to relist. */
  async function watchFrom(rv: string): Promise<string> {
    const res = await client.stream({
      path,
      query: {
        ...selectors,
        watch: 'true',
        allowWatchBookmarks: 'true',
        resourceVersion: rv || undefined,
        timeoutSeconds: 240 + Math.floor(Math.random() * 60),
      },
    });
    current = res;
    let last = rv;
    let buffer = '';
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => res.destroy(), idleMs);
      idle.unref();
    };
    armIdle();
    let relist = false;
    try {
      for await (const chunk of res) {
        armIdle();
        buffer += (chunk as Buffer).toString('utf8');
        let nl = buffer.indexOf('\n');
        while (nl >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          nl = buffer.indexOf('\n');
          if (!line) continue;
          const event = JSON.parse(line) as { type: string; object: KubeObject };
          if (event.type === 'ERROR') {
            relist = true;
            continue;
          }
          last = event.object?.metadata?.resourceVersion ?? last;
          if (event.type === 'BOOKMARK') continue;
          if (!stopped) callbacks.onEvent(event.type as WatchEventType, event.object);
        }
        if (stopped) break;
      }
    } catch {
      // a destroyed (idle) or reset stream: resume from the last resourceVersion
    } finally {
      if (idle) clearTimeout(idle);
    }
    return relist ? '' : last;
  }

  async function loop(): Promise<void> {
    let rv = '';
    while (!stopped) {
      try {
        if (!rv) rv = await list();
        if (stopped) return;
        rv = await watchFrom(rv);
        failures = 0;
      } catch (error) {
        if (stopped) return;
        if (error instanceof ApiError && error.code === 410) {
          rv = '';
          continue;
        }
        if (error instanceof ApiError && (error.code === 403 || error.code === 404)) {
          callbacks.onError?.(error);
          return;
        }
        failures++;
        if (failures > 5) {
          callbacks.onError?.(error as Error);
          return;
        }
        // a transient failure (connection reset, server restart): back off and resume
        await new Promise<void>((resolve) => {
          retryTimer = setTimeout(resolve, Math.min(200 * 2 ** failures, 5_000));
        });
        rv = '';
      }
    }
  }

  void loop();
  return {
    stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      current?.destroy();
    },
  };
}
