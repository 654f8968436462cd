// Field sets in the shape of managedFields' FieldsV1: which leaf fields an object sets.
// A path is a list of elements: "f:<field>", "k:<json key>" (item of a keyed list), "v:<json>" (set member).
import { itemKey, listKind } from './list-keys.ts';

export type Path = string[];
/** path (JSON of the element list) -> value (JSON) */
export type FieldValues = Map<string, string>;

const skipMeta = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
  'generateName',
]);

/** Leaf fields of an object (metadata bookkeeping, apiVersion and kind excluded). */
export function flatten(object: Record<string, unknown>, builtin: boolean, withStatus: boolean): FieldValues {
  const out: FieldValues = new Map();
  for (const [key, value] of Object.entries(object)) {
    if (key === 'apiVersion' || key === 'kind') continue;
    if (key === 'status' && !withStatus) continue;
    if (key === 'metadata' && value && typeof value === 'object') {
      for (const [mk, mv] of Object.entries(value)) {
        if (!skipMeta.has(mk)) walk(mv, ['f:metadata', `f:${mk}`], mk, builtin, out);
      }
      continue;
    }
    walk(value, [`f:${key}`], key, builtin, out);
  }
  return out;
}

function walk(value: unknown, path: Path, field: string, builtin: boolean, out: FieldValues): void {
  if (Array.isArray(value)) {
    const kind = listKind(field, value, builtin, true);
    if (kind.type === 'map') {
      for (const item of value) {
        if (!item || typeof item !== 'object') continue;
        const itemPath = [...path, `k:${itemKey(item as Record<string, unknown>, kind.keys)}`];
        out.set(JSON.stringify([...itemPath, '.']), 'true');
        for (const [k, v] of Object.entries(item)) walk(v, [...itemPath, `f:${k}`], k, builtin, out);
      }
      return;
    }
    if (kind.type === 'set') {
      for (const item of value) out.set(JSON.stringify([...path, `v:${JSON.stringify(item)}`]), 'true');
      return;
    }
    out.set(JSON.stringify(path), JSON.stringify(value));
    return;
  }
  if (value && typeof value === 'object' && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) walk(v, [...path, `f:${k}`], k, builtin, out);
    return;
  }
  out.set(JSON.stringify(path), JSON.stringify(value));
}

/** FieldsV1 tree from a set of paths. */
export function toFieldsV1(paths: Iterable<string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const encoded of paths) {
    let node = root;
    for (const element of JSON.parse(encoded) as Path) {
      node[element] ??= {};
      node = node[element] as Record<string, unknown>;
    }
  }
  return root;
}

export function fromFieldsV1(tree: unknown): Set<string> {
  const out = new Set<string>();
  const visit = (node: Record<string, unknown>, path: Path) => {
    const keys = Object.keys(node);
    if (keys.length === 0 && path.length > 0) out.add(JSON.stringify(path));
    for (const key of keys) {
      if (key === '.') out.add(JSON.stringify([...path, '.']));
      else visit(node[key] as Record<string, unknown>, [...path, key]);
    }
  };
  if (tree && typeof tree === 'object') visit(tree as Record<string, unknown>, []);
  return out;
}

/** ".spec.template.spec.containers[name=\"c\"].image", as conflict messages print a path. */
export function describePath(encoded: string): string {
  let text = '';
  for (const element of JSON.parse(encoded) as Path) {
    if (element === '.') continue;
    if (element.startsWith('f:')) text += `.${element.slice(2)}`;
    else if (element.startsWith('k:')) {
      const key = JSON.parse(element.slice(2)) as Record<string, unknown>;
      text += `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    } else if (element.startsWith('v:')) text += `[${element.slice(2)}]`;
  }
  return text;
}

/** Removes the field at a path from an object (in place); missing paths are ignored. */
export function removePath(object: Record<string, unknown>, encoded: string): void {
  const path = JSON.parse(encoded) as Path;
  if (path[path.length - 1] === '.') path.pop();
  let parent: unknown = object;
  for (let i = 0; i < path.length; i++) {
    const element = path[i]!;
    const last = i === path.length - 1;
    if (element.startsWith('f:')) {
      const record = parent as Record<string, unknown>;
      if (!record || typeof record !== 'object' || Array.isArray(record)) return;
      const key = element.slice(2);
      if (last) {
        delete record[key];
        return;
      }
      parent = record[key];
      continue;
    }
    const list = parent as unknown[];
    if (!Array.isArray(list)) return;
    const index = findItem(list, element);
    if (index < 0) return;
    if (last) {
      list.splice(index, 1);
      return;
    }
    parent = list[index];
  }
}

function findItem(list: unknown[], element: string): number {
  if (element.startsWith('v:')) {
    const wanted = element.slice(2);
    return list.findIndex((item) => JSON.stringify(item) === wanted);
  }
  const wanted = element.slice(2);
  const keys = Object.keys(JSON.parse(wanted) as Record<string, unknown>);
  return list.findIndex(
    (item) => item && typeof item === 'object' && itemKey(item as Record<string, unknown>, keys) === wanted,
  );
}
