// The one applier: every object kloop writes to a cluster goes through server-side apply with
// field manager "kloop". The body is sent as-is (JSON is valid YAML for apply-patch+yaml).
import { KloopError } from '../errors.ts';
import { ApiError, type KubeClient, type Status } from './client.ts';
import type { RestMapper } from './discovery.ts';
import { describeRef, type KubeObject, refOf } from './types.ts';

export const FIELD_MANAGER = 'kloop';

export interface ApplyOptions {
  /** take over fields other managers own (--force-conflicts) */
  force?: boolean;
}

/** "conflict with \"helm\"" → helm; "conflict with \"kubectl\" using apps/v1" → kubectl */
function ownerOf(message: string | undefined): string {
  const m = /conflict with "([^"]+)"/.exec(message ?? '');
  return m?.[1] ?? 'another field manager';
}

/** The 409 of server-side apply as one message: which fields, owned by whom, and what to do. */
export function conflictError(obj: KubeObject, status: Status): KloopError {
  const causes = (status.details?.causes ?? []).filter((c) => c.field || c.message);
  const details = causes.map((c) => `${c.field ?? '(field)'} is owned by "${ownerOf(c.message)}"`);
  const owners = [...new Set(causes.map((c) => ownerOf(c.message)))];
  const n = causes.length || 1;
  return new KloopError(
    `${describeRef(refOf(obj))}: ${n} field${n === 1 ? '' : 's'} conflict with ${owners.length ? owners.map((o) => `"${o}"`).join(', ') : 'another field manager'}${causes.length ? '' : `: ${status.message ?? ''}`}`,
    {
      details,
      hint: 'another tool manages these fields; rerun with --force-conflicts to let kloop take them over',
    },
  );
}

export async function applyObject(
  client: KubeClient,
  mapper: RestMapper,
  obj: KubeObject,
  options: ApplyOptions = {},
): Promise<KubeObject> {
  const ref = refOf(obj);
  const resource = await mapper.resolve(ref);
  const namespace = resource.namespaced ? (ref.namespace ?? client.namespace) : undefined;
  const body = resource.namespaced
    ? { ...obj, metadata: { ...obj.metadata, namespace } }
    : { ...obj, metadata: { ...obj.metadata, namespace: undefined } };
  try {
    return await client.request<KubeObject>({
      method: 'PATCH',
      path: mapper.path(resource, namespace, ref.name),
      query: { fieldManager: FIELD_MANAGER, force: options.force ? 'true' : undefined },
      contentType: 'application/apply-patch+yaml',
      body: JSON.stringify(body),
    });
  } catch (error) {
    if (error instanceof ApiError && error.code === 409 && error.reason === 'Conflict')
      throw conflictError(body as KubeObject, error.status);
    if (error instanceof ApiError) {
      const causes = (error.status.details?.causes ?? []).map((c) => `${c.field ?? ''} ${c.message ?? ''}`.trim());
      throw new KloopError(
        `${describeRef(ref)}: the cluster rejected it (${error.code} ${error.reason}): ${error.message}`,
        {
          details: causes,
          cause: error,
          hint:
            error.code === 404 && /^namespaces? "/.test(error.message)
              ? `create the namespace (kubectl create namespace ${namespace}) or add a Namespace object to an app this one dependsOn`
              : undefined,
        },
      );
    }
    throw error;
  }
}
