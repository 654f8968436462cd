// The deploy graph: apps (with dependsOn) and dependency projects, checked once (unknown names,
// cycles), then walked with as much parallelism as the edges allow — forwards for deploy,
// backwards for purge.
import { KloopError } from '../errors.ts';

export interface GraphNode {
  id: string;
  /** ids this node needs first */
  dependsOn: readonly string[];
  /** where the node is declared, for error messages: "apps.web.dependsOn" */
  declaredAt?: string;
}

export interface Graph {
  readonly nodes: ReadonlyMap<string, GraphNode>;
}

/** Finds one cycle as a path that starts and ends at the same node, or undefined. */
export function findCycle(nodes: ReadonlyMap<string, GraphNode>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const s = state.get(id);
    if (s === 'done') return undefined;
    if (s === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of nodes.get(id)?.dependsOn ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of [...nodes.keys()].sort()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

export function buildGraph(list: readonly GraphNode[], configFile?: string): Graph {
  const nodes = new Map(list.map((n) => [n.id, n]));
  const location = configFile ? { file: configFile } : undefined;
  const unknown = list.flatMap((n) =>
    n.dependsOn
      .filter((d) => !nodes.has(d))
      .map((d) => `${n.declaredAt ?? n.id}: "${d}" is neither an app nor a dependency`),
  );
  if (unknown.length)
    throw new KloopError(unknown[0]!, {
      location,
      details: unknown.slice(1),
      hint: `known: ${[...nodes.keys()].sort().join(', ')}`,
    });
  const cycle = findCycle(nodes);
  if (cycle)
    throw new KloopError(`dependency cycle: ${cycle.join(' → ')}`, {
      location,
      hint: 'remove one of these dependsOn entries',
    });
  return { nodes };
}

/** The named nodes and everything they depend on, transitively. */
export function withDependencies(graph: Graph, ids: readonly string[]): Set<string> {
  const out = new Set<string>();
  const add = (id: string) => {
    if (out.has(id)) return;
    out.add(id);
    for (const d of graph.nodes.get(id)?.dependsOn ?? []) add(d);
  };
  for (const id of ids) add(id);
  return out;
}

/** A deterministic order in which every node comes after its dependencies (reverse it for purge). */
export function topologicalOrder(graph: Graph, subset?: ReadonlySet<string>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id) || (subset && !subset.has(id))) return;
    seen.add(id);
    for (const d of [...(graph.nodes.get(id)?.dependsOn ?? [])].sort()) visit(d);
    order.push(id);
  };
  for (const id of [...graph.nodes.keys()].sort()) visit(id);
  return order;
}

export interface WalkResult {
  /** ids whose task failed, with the error */
  failed: Map<string, unknown>;
  /** ids not run because something they wait for failed */
  skipped: Map<string, string>;
}

/**
 * Runs `task` for every node of the subset, each as soon as what it waits for has succeeded:
 * its dependencies (forwards) or its dependents (reverse). Independent nodes run in parallel.
 */
export async function walk(
  graph: Graph,
  subset: ReadonlySet<string>,
  task: (id: string) => Promise<void>,
  options: { reverse?: boolean } = {},
): Promise<WalkResult> {
  const waitsFor = new Map<string, string[]>();
  for (const id of subset) waitsFor.set(id, []);
  for (const id of subset) {
    for (const dep of graph.nodes.get(id)?.dependsOn ?? []) {
      if (!subset.has(dep)) continue;
      if (options.reverse) waitsFor.get(dep)!.push(id);
      else waitsFor.get(id)!.push(dep);
    }
  }
  const failed = new Map<string, unknown>();
  const skipped = new Map<string, string>();
  const running = new Map<string, Promise<boolean>>();
  const run = (id: string): Promise<boolean> => {
    let p = running.get(id);
    if (p) return p;
    p = (async () => {
      const before = waitsFor.get(id)!;
      const results = await Promise.all(before.map(run));
      const blocker = before.find((_, i) => !results[i]);
      if (blocker !== undefined) {
        skipped.set(id, blocker);
        return false;
      }
      try {
        await task(id);
        return true;
      } catch (error) {
        failed.set(id, error);
        return false;
      }
    })();
    running.set(id, p);
    return p;
  };
  await Promise.all([...subset].sort().map(run));
  return { failed, skipped };
}
