// What the API server does with a request body of a built-in kind before anything else: decode it
// into the Go types (a type mismatch is a 400 on create/update and a 422 on patch, a 500 under
// server-side apply), then handle unknown fields per `fieldValidation` (Strict refuses, Warn adds
// a `Warning` header per field, Ignore drops them silently; unknown fields are never stored).
// Server-side apply refuses unknown fields whatever the directive, as structured-merge-diff does.
import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../contract.ts';
import { listKind } from '../patch/list-keys.ts';
import { ApiError, badRequest } from './errors.ts';
import { apiVersionOf, type ResourceInfo } from './resources.ts';
import { goFormat, prune, typeError, type UnknownField, unknownFields } from './typed.ts';

export type Directive = 'Strict' | 'Warn' | 'Ignore';

/** `?fieldValidation=`; kube-apiserver defaults to Warn since 1.27 (kubectl sends Strict). */
export function directiveOf(query: URLSearchParams): Directive {
  const value = query.get('fieldValidation');
  if (value === 'Strict' || value === 'Ignore') return value;
  return 'Warn';
}

function checked(info: ResourceInfo): boolean {
  return !info.review && (!info.custom || info.schema !== undefined);
}

interface Structural {
  properties?: Record<string, Structural>;
  additionalProperties?: Structural | boolean;
  items?: Structural;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
}

/** Fields a CRD's structural schema does not declare (the API server prunes them). */
function unknownCustom(schema: Structural, object: Record<string, unknown>): UnknownField[] {
  const out: UnknownField[] = [];
  const walk = (
    value: unknown,
    s: Structural | undefined,
    at: string,
    pointer: Array<string | number>,
    root: boolean,
  ) => {
    if (!s || value === null || typeof value !== 'object' || s['x-kubernetes-preserve-unknown-fields']) return;
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(v, s.items, `${at}[${i}]`, [...pointer, i], false);
      return;
    }
    const extra = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
    if (!s.properties && (extra || s.additionalProperties === true)) {
      for (const [k, v] of Object.entries(value)) walk(v, extra, at ? `${at}.${k}` : k, [...pointer, k], false);
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      const path = at ? `${at}.${k}` : k;
      // apiVersion, kind and metadata are the API's own at the top and in embedded resources
      const own = (root || s['x-kubernetes-embedded-resource']) && ['apiVersion', 'kind', 'metadata'].includes(k);
      if (own) continue;
      if (s.properties?.[k]) walk(v, s.properties[k], path, [...pointer, k], false);
      else out.push({ path, pointer: [...pointer, k] });
    }
  };
  walk(object, schema, '', [], true);
  return out;
}

/** Unknown fields of a built-in kind (its Go types) or a custom resource (its CRD's schema). */
function unknownOf(info: ResourceInfo, object: Record<string, unknown>): UnknownField[] {
  if (info.custom) return info.schema ? unknownCustom(info.schema as Structural, object) : [];
  return unknownFields(apiVersionOf(info), info.kind, object) ?? [];
}

/** Type mismatches are checked for built-in kinds (custom resources: the CRD's validation, not done here). */
async function mismatchOf(info: ResourceInfo, object: Record<string, unknown>): Promise<string | undefined> {
  return info.custom ? undefined : typeError(apiVersionOf(info), info.kind, object);
}

function strictMessage(unknown: UnknownField[]): string {
  return `strict decoding error: ${unknown.map((u) => `unknown field "${u.path}"`).join(', ')}`;
}

function warn(res: ServerResponse, unknown: UnknownField[]): void {
  if (unknown.length === 0) return;
  const existing = res.getHeader('Warning');
  const before = Array.isArray(existing) ? existing : existing ? [String(existing)] : [];
  res.setHeader('Warning', [...before, ...unknown.map((u) => `299 - ${JSON.stringify(`unknown field "${u.path}"`)}`)]);
}

/** A create or update body (POST, PUT): 400 `<Kind> in version "v1" cannot be handled as a <Kind>: …`. */
export async function decodeBody(
  info: ResourceInfo,
  object: KubeObject,
  directive: Directive,
  res: ServerResponse,
): Promise<void> {
  if (!checked(info)) return;
  const refuse = (why: string) =>
    badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ${why}`);
  const mismatch = await mismatchOf(info, object as unknown as Record<string, unknown>);
  if (mismatch) throw refuse(mismatch);
  const unknown = unknownOf(info, object as unknown as Record<string, unknown>);
  if (unknown.length === 0) return;
  if (directive === 'Strict') throw refuse(strictMessage(unknown));
  if (directive === 'Warn') warn(res, unknown);
  prune(object as unknown as Record<string, unknown>, unknown);
}

/**
 * The object a JSON, merge or strategic merge patch produced: errors are apimachinery's
 * NewInvalid(GroupKind{}, "", patch: Invalid value: …), which kubectl prints as
 * `The request is invalid: patch: Invalid value: "…": strict decoding error: unknown field "spec.foo"`.
 * Unknown fields already in the stored object (none, unless a controller wrote them) are left alone.
 */
export async function decodePatched(
  info: ResourceInfo,
  existing: KubeObject,
  patched: KubeObject,
  patchValue: string,
  directive: Directive,
  res: ServerResponse,
): Promise<void> {
  if (!checked(info)) return;
  const refuse = (why: string) => {
    const message = `Invalid value: ${JSON.stringify(patchValue)}: ${why}`;
    return new ApiError(422, 'Invalid', ` "" is invalid: patch: ${message}`, {
      causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }],
    });
  };
  const mismatch = await mismatchOf(info, patched as unknown as Record<string, unknown>);
  if (mismatch) throw refuse(mismatch);
  const before = new Set(unknownOf(info, existing as unknown as Record<string, unknown>).map((u) => u.path));
  const unknown = unknownOf(info, patched as unknown as Record<string, unknown>).filter((u) => !before.has(u.path));
  if (unknown.length === 0) return;
  if (directive === 'Strict') throw refuse(strictMessage(unknown));
  if (directive === 'Warn') warn(res, unknown);
  prune(patched as unknown as Record<string, unknown>, unknown);
}

/** How the value printed for a refused patch is made: the patch map for strategic merge, else the patched JSON. */
export function patchValue(type: string, body: Buffer, patched: KubeObject): string {
  if (type === 'application/strategic-merge-patch+json') {
    try {
      return goFormat(JSON.parse(body.toString('utf8')));
    } catch {
      return body.toString('utf8');
    }
  }
  return JSON.stringify(patched);
}

/** structured-merge-diff's path of a field: `.spec.template.spec.containers[name="c"].foo`. */
function smdPath(object: Record<string, unknown>, pointer: Array<string | number>, builtin = true): string {
  let out = '';
  let value: unknown = object;
  let field = '';
  for (const segment of pointer) {
    if (typeof segment === 'number' && Array.isArray(value)) {
      const item = value[segment];
      const kind = listKind(field, value, builtin, true);
      if (kind.type === 'map' && item && typeof item === 'object') {
        const keys = kind.keys
          .filter((k) => (item as Record<string, unknown>)[k] !== undefined)
          .map((k) => `${k}=${JSON.stringify((item as Record<string, unknown>)[k])}`);
        out += `[${keys.join(',')}]`;
      } else if (kind.type === 'set') out += `[=${JSON.stringify(item)}]`;
      else out += `[${segment}]`;
      value = item;
    } else {
      out += `.${segment}`;
      field = String(segment);
      value = (value as Record<string, unknown> | undefined)?.[segment];
    }
  }
  return out;
}

function goRepr(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return goFormat(value);
}

/**
 * A server-side apply configuration: structured-merge-diff refuses fields the schema does not
 * declare and values of the wrong type, whatever `fieldValidation` says, as a plain error (500).
 */
export async function decodeApplied(
  info: ResourceInfo,
  applied: KubeObject,
  namespace: string | undefined,
  name: string,
): Promise<void> {
  if (!checked(info)) return;
  const object = applied as unknown as Record<string, unknown>;
  const gvk = `${info.group}/${info.version}, Kind=${info.kind}`;
  const fail = (errors: string[]) =>
    new ApiError(
      500,
      '',
      `failed to create typed patch object (${namespace ?? ''}/${name}; ${gvk}): ${
        errors.length === 1 ? errors[0] : ['errors:', ...errors.map((e) => `  ${e}`)].join('\n')
      }`,
    );
  const unknown = unknownOf(info, object);
  if (unknown.length > 0)
    throw fail(unknown.map((u) => `${smdPath(object, u.pointer, !info.custom)}: field not declared in schema`));
  const mismatch = await mismatchOf(info, object);
  if (mismatch) {
    const m = /Go struct field [A-Za-z0-9]+\.(\S+) of type (\S+)$/.exec(mismatch);
    const want =
      m?.[2] === 'string'
        ? 'string'
        : m?.[2] === 'bool'
          ? 'boolean'
          : /int|float/.test(m?.[2] ?? '')
            ? 'numeric (int or float)'
            : 'map';
    const path = locateMismatch(object, m?.[1]);
    throw fail([
      `${path ? smdPath(object, path.pointer) : ''}: expected ${want}, got &value.valueUnstructured{Value:${goRepr(path?.value)}}`,
    ]);
  }
}

/** The first value under a dotted Go field path (indices left out), for apply's message. */
function locateMismatch(
  object: Record<string, unknown>,
  field: string | undefined,
): { pointer: Array<string | number>; value: unknown } | undefined {
  if (!field) return undefined;
  const names = field.split('.');
  const search = (
    value: unknown,
    i: number,
    pointer: Array<string | number>,
  ): { pointer: Array<string | number>; value: unknown } | undefined => {
    if (Array.isArray(value)) {
      for (const [j, v] of value.entries()) {
        const found = search(v, i, [...pointer, j]);
        if (found) return found;
      }
      return undefined;
    }
    if (i === names.length) return { pointer, value };
    if (!value || typeof value !== 'object') return undefined;
    const next = (value as Record<string, unknown>)[names[i]!];
    return next === undefined ? undefined : search(next, i + 1, [...pointer, names[i]!]);
  };
  return search(object, 0, []);
}
