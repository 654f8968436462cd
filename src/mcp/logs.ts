// Recent log lines of a dev target or an app for an agent: bounded by lines, bytes and age, newest
// pods first, never following.
import type { Project } from '../config/project.ts';
import type { KubeClient } from '../kube/client.ts';
import { logSources } from '../dev/log-sources.ts';
import { podSelector } from '../kube/pods.ts';
import type { KubeObject } from '../kube/types.ts';

export interface LogRequest {
  /** dev target or app (default: every dev target, else every app) */
  target?: string;
  /** lines per container (default 100) */
  lines: number;
  /** only lines newer than this many seconds */
  sinceSeconds?: number;
  /** bytes in all (default 64 KiB) */
  maxBytes: number;
  /** pods per target, newest first (default 2) */
  pods: number;
}

export interface LogChunk {
  target: string;
  pod: string;
  container: string;
  text: string;
  truncated: boolean;
}

async function readBounded(stream: NodeJS.ReadableStream & { destroy(): void }, max: number) {
  let text = '';
  let truncated = false;
  for await (const chunk of stream) {
    text += chunk.toString();
    if (Buffer.byteLength(text) > max) {
      text = Buffer.from(text).subarray(0, max).toString();
      truncated = true;
      stream.destroy();
      break;
    }
  }
  return { text, truncated };
}

export async function recentLogs(client: KubeClient, project: Project, req: LogRequest): Promise<LogChunk[]> {
  const specs = await logSources(client, project, req.target);
  const chunks: LogChunk[] = [];
  let budget = req.maxBytes;
  for (const spec of specs) {
    const selector = await podSelector(client, spec);
    const list = await client.request<{ items?: KubeObject[] }>({
      path: `/api/v1/namespaces/${encodeURIComponent(spec.namespace)}/pods`,
      query: { labelSelector: selector },
    });
    const pods = (list.items ?? [])
      .filter((p) => !p.metadata.deletionTimestamp)
      .sort((a, b) =>
        String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')),
      )
      .slice(0, req.pods);
    for (const pod of pods) {
      const containers: string[] = spec.container
        ? [spec.container]
        : (pod.spec?.containers ?? []).map((c: { name: string }) => c.name);
      for (const container of containers) {
        if (budget <= 0) return chunks;
        try {
          const stream = await client.stream({
            path: `/api/v1/namespaces/${encodeURIComponent(spec.namespace)}/pods/${encodeURIComponent(pod.metadata.name ?? '')}/log`,
            query: {
              container,
              tailLines: req.lines,
              limitBytes: budget,
              ...(req.sinceSeconds ? { sinceSeconds: req.sinceSeconds } : {}),
            },
            timeout: 15_000,
          });
          const { text, truncated } = await readBounded(stream, budget);
          budget -= Buffer.byteLength(text);
          chunks.push({ target: spec.name, pod: pod.metadata.name ?? '', container, text, truncated });
        } catch (error) {
          chunks.push({
            target: spec.name,
            pod: pod.metadata.name ?? '',
            container,
            text: `(no logs: ${(error as Error).message})`,
            truncated: false,
          });
        }
      }
    }
  }
  return chunks;
}
