import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildGraph, findCycle, topologicalOrder, walk, withDependencies } from '../../../src/deploy/graph.ts';
import { KloopError } from '../../../src/errors.ts';

const g = (edges: Record<string, string[]>) =>
  buildGraph(
    Object.entries(edges).map(([id, dependsOn]) => ({ id, dependsOn, declaredAt: `apps.${id}.dependsOn` })),
    '/p/kloop.yaml',
  );

describe('dependency graph', () => {
  it('names the cycle as a config error', () => {
    assert.throws(
      () => g({ web: ['api'], api: ['db'], db: ['web'], other: [] }),
      (e: unknown) =>
        e instanceof KloopError &&
        e.message === 'dependency cycle: api → db → web → api' &&
        e.location?.file === '/p/kloop.yaml',
    );
    assert.deepEqual(findCycle(new Map([['a', { id: 'a', dependsOn: ['a'] }]])), ['a', 'a']);
  });

  it('rejects unknown names with where they are declared', () => {
    assert.throws(
      () => g({ web: ['cahce'], cache: [] }),
      /apps\.web\.dependsOn: "cahce" is neither an app nor a dependency/,
    );
  });

  it('selects what the named apps depend on, transitively', () => {
    const graph = g({ web: ['api'], api: ['db'], db: [], admin: ['db'] });
    assert.deepEqual([...withDependencies(graph, ['web'])].sort(), ['api', 'db', 'web']);
    assert.deepEqual(topologicalOrder(graph, withDependencies(graph, ['admin'])), ['db', 'admin']);
  });

  it('orders dependencies first', () => {
    const order = topologicalOrder(g({ web: ['api'], api: ['db'], db: [] }));
    assert.deepEqual(order, ['db', 'api', 'web']);
  });

  it('runs independent nodes in parallel and dependents only after their dependencies finished', async () => {
    const graph = g({ web: ['cache', 'db'], cache: [], db: [] });
    const events: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const release = new Map<string, () => void>();
    const task = async (id: string) => {
      events.push(`start ${id}`);
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((r) => release.set(id, r));
      running--;
      events.push(`end ${id}`);
    };
    const done = walk(graph, new Set(['web', 'cache', 'db']), task);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(events.sort(), ['start cache', 'start db']);
    release.get('cache')!();
    await new Promise((r) => setImmediate(r));
    assert.ok(!events.includes('start web'), 'web waits for db too');
    release.get('db')!();
    await new Promise((r) => setImmediate(r));
    assert.ok(events.includes('start web'));
    release.get('web')!();
    const result = await done;
    assert.equal(maxRunning, 2);
    assert.equal(result.failed.size, 0);
  });

  it('skips dependents of a failed node and walks in reverse for purge', async () => {
    const graph = g({ web: ['cache'], cache: ['db'], db: [] });
    const order: string[] = [];
    const result = await walk(graph, new Set(['web', 'cache', 'db']), async (id) => {
      order.push(id);
      if (id === 'cache') throw new Error('boom');
    });
    assert.deepEqual(order, ['db', 'cache']);
    assert.equal(result.skipped.get('web'), 'cache');
    const reverse: string[] = [];
    await walk(graph, new Set(['web', 'cache', 'db']), async (id) => void reverse.push(id), { reverse: true });
    assert.deepEqual(reverse, ['web', 'cache', 'db']);
  });
});
