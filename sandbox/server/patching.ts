// PATCH: JSON patch, JSON merge patch, strategic merge patch and server-side apply.
import fastJsonPatch from 'fast-json-patch';
import type { KubeObject } from '../contract.ts';
import { serverSideApply } from '../patch/managed.ts';
import { mergePatch, strategicMerge } from '../patch/strategic.ts';
import { ApiError, badRequest, invalid } from './errors.ts';
import { parseJson, parseYamlBody } from './body.ts';
import type { ResourceInfo } from './resources.ts';

export const APPLY = 'application/apply-patch+yaml';

export function patchTypesFor(info: ResourceInfo): string[] {
  const types = ['application/json-patch+json', 'application/merge-patch+json', APPLY];
  if (!info.custom) types.push('application/strategic-merge-patch+json');
  return types;
}

/** The object after a non-apply patch of `existing`. */
export function applyPatch(info: ResourceInfo, existing: KubeObject, type: string, body: Buffer): KubeObject {
  if (!patchTypesFor(info).includes(type)) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${patchTypesFor(info).join(', ')}`,
    );
  }
  if (type === 'application/json-patch+json') {
    const ops = parseJson(body) as unknown;
    if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    try {
      return fastJsonPatch.applyPatch(structuredClone(existing), ops as fastJsonPatch.Operation[], true, false)
        .newDocument as KubeObject;
    } catch (error) {
      throw new ApiError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request: ${(error as Error).message}`,
      );
    }
  }
  const patch = parseJson(body);
  if (type === 'application/merge-patch+json') return mergePatch(existing, patch) as KubeObject;
  return strategicMerge(existing, patch, !info.custom) as KubeObject;
}

/** Server-side apply; `existing` undefined means the apply creates the object. */
export function applyConfiguration(
  info: ResourceInfo,
  existing: KubeObject | undefined,
  body: Buffer,
  manager: string | undefined,
  force: boolean,
  subresource?: 'status',
): KubeObject {
  if (!manager) {
    throw new ApiError(
      422,
      'Invalid',
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      {
        group: 'meta.k8s.io',
        kind: 'PatchOptions',
        causes: [
          {
            reason: 'FieldValueRequired',
            message: 'Required value: is required for apply patch',
            field: 'fieldManager',
          },
        ],
      },
    );
  }
  const applied = parseYamlBody(body) as KubeObject;
  if (!applied || typeof applied !== 'object' || !applied.metadata) {
    throw invalid(info.group, info.kind, '', [
      { reason: 'FieldValueRequired', message: 'Required value', field: 'metadata' },
    ]);
  }
  return serverSideApply(existing, applied, manager, force, !info.custom, subresource);
}
