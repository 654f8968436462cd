// What an intercept changes, recorded before it is changed: in .kloop/intercepts.json and, once
// the Service is switched over, in an annotation on the Service. Ctrl-C, the next kloop intercept
// after a crash or kill -9, and purge (restoreIntercepts) put the Service's selector back and
// delete the agent pod, its ConfigMap and the shadow Service.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { KloopError } from '../errors.ts';
import { ApiError, type KubeClient } from '../kube/client.ts';
import type { KubeObject } from '../kube/types.ts';

export const ORIGINAL_ANNOTATION = 'kloop.dev/intercept-original';
export const INTERCEPT_LABEL = 'kloop.dev/intercept';
const STATE_FILE = 'intercepts.json';

export interface InterceptRecord {
  namespace: string;
  service: string;
  originalSelector: Record<string, string>;
  /** names of the objects the intercept creates (pod, ConfigMap, shadow Service) */
  agent: string;
  shadow: string;
  pid: number;
  host: string;
  at: string;
}

const file = (stateDir: string) => path.join(stateDir, STATE_FILE);

export async function readRecords(stateDir: string): Promise<InterceptRecord[]> {
  try {
    return (JSON.parse(await readFile(file(stateDir), 'utf8')) as { intercepts?: InterceptRecord[] }).intercepts ?? [];
  } catch {
    return [];
  }
}

async function writeRecords(stateDir: string, records: InterceptRecord[]): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const tmp = `${file(stateDir)}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ intercepts: records }, null, 2)}\n`);
  await rename(tmp, file(stateDir));
}

const key = (r: { namespace: string; service: string }) => `${r.namespace}/${r.service}`;

export async function addRecord(stateDir: string, record: InterceptRecord): Promise<void> {
  const records = (await readRecords(stateDir)).filter((r) => key(r) !== key(record));
  await writeRecords(stateDir, [...records, record]);
}

async function removeRecord(stateDir: string, record: InterceptRecord): Promise<void> {
  await writeRecords(
    stateDir,
    (await readRecords(stateDir)).filter((r) => key(r) !== key(record)),
  );
}

/** Whether the process that made a record still runs (on this machine). */
export function ownerAlive(record: InterceptRecord): boolean {
  if (record.host !== hostname()) return true;
  if (record.pid === process.pid) return false;
  try {
    process.kill(record.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const pointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

async function deleteIfPresent(client: KubeClient, apiPath: string): Promise<void> {
  try {
    await client.request({ method: 'DELETE', path: apiPath, query: { gracePeriodSeconds: 0 } });
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 404)) throw error;
  }
}

/** Puts the Service's selector back (the annotation wins over the file) and deletes the agent's objects. */
export async function restoreOne(client: KubeClient, record: InterceptRecord): Promise<void> {
  const ns = encodeURIComponent(record.namespace);
  const svcPath = `/api/v1/namespaces/${ns}/services/${encodeURIComponent(record.service)}`;
  let svc: KubeObject | undefined;
  try {
    svc = await client.request<KubeObject>({ path: svcPath });
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 404)) throw error;
  }
  if (svc) {
    const annotation = svc.metadata.annotations?.[ORIGINAL_ANNOTATION];
    const original = annotation ? (JSON.parse(annotation) as Record<string, string>) : record.originalSelector;
    const ops: unknown[] = [];
    // only a selector that still points at the agent is put back: a redeploy may already have
    if (svc.spec?.selector?.[INTERCEPT_LABEL] !== undefined)
      ops.push({ op: 'replace', path: '/spec/selector', value: original });
    if (annotation) ops.push({ op: 'remove', path: `/metadata/annotations/${pointer(ORIGINAL_ANNOTATION)}` });
    if (ops.length)
      await client.request({
        method: 'PATCH',
        path: svcPath,
        query: { fieldManager: 'kloop' },
        contentType: 'application/json-patch+json',
        body: ops,
      });
  }
  await deleteIfPresent(client, `/api/v1/namespaces/${ns}/pods/${encodeURIComponent(record.agent)}`);
  await deleteIfPresent(client, `/api/v1/namespaces/${ns}/configmaps/${encodeURIComponent(record.agent)}`);
  await deleteIfPresent(client, `/api/v1/namespaces/${ns}/services/${encodeURIComponent(record.shadow)}`);
}

/**
 * Restores recorded intercepts: those whose kloop is gone (`onlyOrphans`, what a new intercept
 * does first), or all of them (purge). Returns what was restored.
 */
export async function restoreIntercepts(
  client: KubeClient,
  stateDir: string,
  options: { onlyOrphans?: boolean; namespace?: string } = {},
): Promise<InterceptRecord[]> {
  const restored: InterceptRecord[] = [];
  for (const r of await readRecords(stateDir)) {
    if (options.namespace && r.namespace !== options.namespace) continue;
    if (options.onlyOrphans && ownerAlive(r)) continue;
    try {
      await restoreOne(client, r);
    } catch (error) {
      throw new KloopError(
        `cannot restore the intercept of Service ${r.service} in ${r.namespace}: ${(error as Error).message}`,
        { hint: `it stays recorded in ${file(stateDir)}; the next kloop intercept or purge tries again`, cause: error },
      );
    }
    await removeRecord(stateDir, r);
    restored.push(r);
  }
  return restored;
}

export async function forget(stateDir: string, record: InterceptRecord): Promise<void> {
  await removeRecord(stateDir, record);
}
