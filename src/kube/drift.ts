// Drift: whether an object kloop applied was changed in the cluster since, in the fields kloop
// applied. After each apply the inventory records the object's resourceVersion and a hash of the
// live object seen through the applied body (its values at the applied paths only). A later deploy
// with unchanged inputs lists each kind once: same resourceVersion → nothing to do; otherwise the
// hash is taken again, so status updates and fields other managers own do not count as drift, and
// values the server normalised (defaults, quantities) compare with themselves.
import { createHash } from 'node:crypto';
import { FIELD_MANAGER } from './apply.ts';
import type { InventoryEntry } from './inventory.ts';
import type { KubeObject } from './types.ts';

/** The live value at every path of the applied value (lists by position); null where it is missing. */
export function liveView(live: unknown, applied: unknown): unknown {
  if (Array.isArray(applied)) {
    if (!Array.isArray(live)) return live ?? null;
    return applied.map((a, i) => liveView(live[i], a));
  }
  if (applied && typeof applied === 'object') {
    if (!live || typeof live !== 'object' || Array.isArray(live)) return live ?? null;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(applied).sort())
      out[k] = liveView((live as Record<string, unknown>)[k], (applied as Record<string, unknown>)[k]);
    return out;
  }
  return live ?? null;
}

/** What kloop sent, as the cluster stores it: a Secret's stringData lands in data. */
function storedShape(applied: KubeObject): KubeObject {
  if (applied.apiVersion !== 'v1' || applied.kind !== 'Secret' || !applied.stringData) return applied;
  const { stringData, ...rest } = applied;
  const data: Record<string, string> = { ...(rest.data ?? {}) };
  for (const [k, v] of Object.entries(stringData as Record<string, string>))
    data[k] = Buffer.from(String(v)).toString('base64');
  return { ...rest, data };
}

/** The hash recorded after an apply and compared on the next no-op deploy. */
export function liveHash(live: KubeObject, applied: KubeObject): string {
  const { metadata, ...body } = storedShape(applied);
  // identity fields are the same by construction; the namespace may be defaulted by the applier
  const { namespace: _ns, ...meta } = metadata;
  return createHash('sha256')
    .update(JSON.stringify(liveView(live, { ...body, metadata: meta })))
    .digest('hex')
    .slice(0, 20);
}

/** The inventory entry after an apply returned `live`. */
export function recordLive(entry: InventoryEntry, live: KubeObject, applied: KubeObject): InventoryEntry {
  return { ...entry, uid: live.metadata.uid, rv: live.metadata.resourceVersion, live: liveHash(live, applied) };
}

export type DriftKind = 'deleted' | 'changed' | 'unrecorded';

/**
 * Why an unchanged entry must be applied again, or undefined when the cluster still holds what
 * kloop applied. `live` is the object of that uid in the deploy's LIST, if any.
 */
export function driftOf(
  entry: InventoryEntry,
  live: KubeObject | undefined,
  applied: KubeObject,
): DriftKind | undefined {
  if (!live) return 'deleted';
  if (!entry.live) return 'unrecorded'; // an inventory written before kloop recorded live state
  if (entry.rv && live.metadata.resourceVersion === entry.rv) return undefined;
  return liveHash(live, applied) === entry.live ? undefined : 'changed';
}

/** Who changed it: the field managers other than kloop that wrote the object last. */
export function changedBy(live: KubeObject): string[] {
  const others = (live.metadata.managedFields ?? [])
    .filter((m) => m.manager && m.manager !== FIELD_MANAGER && (m as { subresource?: string }).subresource !== 'status')
    .map((m) => ({ manager: m.manager as string, time: String((m as { time?: string }).time ?? '') }))
    .sort((a, b) => b.time.localeCompare(a.time));
  if (!others.length) return [];
  const newest = others[0]!.time;
  return [...new Set(others.filter((m) => m.time === newest).map((m) => m.manager))];
}
