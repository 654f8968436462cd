// Strategic merge patch (kubectl apply, helm upgrade, rollout restart) and JSON merge patch.
import { itemKey, listKind } from './list-keys.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Applies a strategic merge patch; `builtin` false makes every list atomic (custom resources). */
export function strategicMerge(original: unknown, patch: unknown, builtin: boolean): unknown {
  if (!isObj(patch)) return patch;
  return mergeMap(isObj(original) ? original : {}, patch, builtin, false);
}

/** Server-side apply merges the same way (keyed by listMapKeys), minus the directives. */
export function structuredMerge(original: unknown, applied: unknown, builtin: boolean): unknown {
  if (!isObj(applied)) return applied;
  return mergeMap(isObj(original) ? original : {}, applied, builtin, true);
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((i) => !(isObj(i) && i.$patch === 'delete')).map(stripDirectives);
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    if (v === null) continue;
    out[k] = stripDirectives(v);
  }
  return out;
}

function mergeMap(original: Obj, patch: Obj, builtin: boolean, apply: boolean): Obj | undefined {
  if (patch.$patch === 'replace') return stripDirectives(patch) as Obj;
  if (patch.$patch === 'delete') return undefined;
  const result: Obj = { ...original };
  const orders: Array<[string, unknown[]]> = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith('$setElementOrder/')) {
      orders.push([key.slice('$setElementOrder/'.length), value as unknown[]]);
      continue;
    }
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = result[field];
      if (Array.isArray(current)) result[field] = current.filter((i) => !(value as unknown[]).includes(i));
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    if (Array.isArray(value)) {
      result[key] = mergeList(Array.isArray(result[key]) ? (result[key] as unknown[]) : [], value, key, builtin, apply);
      continue;
    }
    if (isObj(value)) {
      const merged = mergeMap(isObj(result[key]) ? (result[key] as Obj) : {}, value, builtin, apply);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
      continue;
    }
    result[key] = value;
  }
  for (const [field, order] of orders) {
    const list = result[field];
    if (Array.isArray(list)) result[field] = reorder(list, order, field, builtin, apply);
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    for (const key of Object.keys(result)) if (!keep.has(key)) delete result[key];
  }
  return result;
}

function mergeList(original: unknown[], patch: unknown[], field: string, builtin: boolean, apply: boolean): unknown[] {
  const kind = listKind(field, [...original, ...patch], builtin, apply);
  if (kind.type === 'set') {
    const out = [...original];
    for (const item of patch) if (!out.some((o) => JSON.stringify(o) === JSON.stringify(item))) out.push(item);
    return out;
  }
  if (kind.type === 'atomic') return stripDirectives(patch) as unknown[];
  if (patch.some((i) => isObj(i) && i.$patch === 'replace')) {
    return stripDirectives(patch.filter((i) => !(isObj(i) && i.$patch === 'replace'))) as unknown[];
  }
  const id = (o: unknown) => (isObj(o) ? itemKey(o, kind.keys) : undefined);
  const out = [...original];
  for (const item of patch) {
    if (!isObj(item)) continue;
    const index = out.findIndex((o) => id(o) === id(item));
    if (item.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    if (index >= 0) {
      const merged = mergeMap(out[index] as Obj, item, builtin, apply);
      if (merged === undefined) out.splice(index, 1);
      else out[index] = merged;
    } else out.push(mergeMap({}, item, builtin, apply));
  }
  return out;
}

function reorder(list: unknown[], order: unknown[], field: string, builtin: boolean, apply: boolean): unknown[] {
  const kind = listKind(field, list, builtin, apply);
  const identity = (item: unknown) =>
    kind.type === 'map' && isObj(item) ? itemKey(item, kind.keys) : JSON.stringify(item);
  const rank = new Map(order.map((item, i) => [identity(item), i]));
  const ordered = list.filter((i) => rank.has(identity(i)));
  ordered.sort((a, b) => rank.get(identity(a))! - rank.get(identity(b))!);
  return [...ordered, ...list.filter((i) => !rank.has(identity(i)))];
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const result: Obj = isObj(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}
