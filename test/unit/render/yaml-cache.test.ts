import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cacheDir } from '../../../src/render/cache.ts';
import type { KubeObject } from '../../../src/render/types.ts';
import { yamlOfApps } from '../../../src/render/yaml-cache.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const cm = (name: string, value: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data: { value },
});

describe('the YAML cache of a render', () => {
  const state = mkdtempSync(path.join(tmpdir(), 'kloop-yaml-cache-'));
  dirs.push(state);
  let calls = 0;
  const write = (objects: readonly KubeObject[]) => {
    calls++;
    return objects
      .map((o) => `name: ${o.metadata.name}\nvalue: ${(o.data as { value: string }).value}\n`)
      .join('---\n');
  };

  it('writes once per set of objects and build; the same objects read the text back', async () => {
    const apps = [[cm('a', '1')], [cm('b', '2'), cm('c', '3')]];
    const first = await yamlOfApps(state, apps, write, 'build-1');
    assert.equal(calls, 2);
    const again = await yamlOfApps(state, structuredClone(apps), write, 'build-1');
    assert.equal(calls, 2, 'no YAML written for unchanged objects');
    assert.deepEqual(again, first);
    assert.equal(readdirSync(cacheDir(state)).filter((n) => n.startsWith('yaml-')).length, 1);
  });

  it('any changed value, or another build of kloop, writes the YAML again', async () => {
    const changed = await yamlOfApps(state, [[cm('a', '1')], [cm('b', '2'), cm('c', '4')]], write, 'build-1');
    assert.equal(calls, 4);
    assert.match(changed[1]!, /value: 4/);
    await yamlOfApps(state, [[cm('a', '1')], [cm('b', '2'), cm('c', '3')]], write, 'build-2');
    assert.equal(calls, 6);
  });

  it('from sources (no build id) it never caches', async () => {
    const fresh = mkdtempSync(path.join(tmpdir(), 'kloop-yaml-cache-'));
    dirs.push(fresh);
    await yamlOfApps(fresh, [[cm('a', '1')]], write, undefined);
    await yamlOfApps(fresh, [[cm('a', '1')]], write, undefined);
    assert.equal(calls, 8);
    assert.throws(() => readdirSync(cacheDir(fresh)));
  });
});
