// launch.json entries for kloop dev --debug: path mappings from the sync mapping, and a merge that
// keeps the user's comments and entries and replaces only kloop's own.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'jsonc-parser';
import { planDebug } from '../../../src/dev/debug.ts';
import { launchConfiguration, mergeLaunch, writeLaunch } from '../../../src/dev/launch.ts';
import { KloopError } from '../../../src/errors.ts';

const ws = '/home/dev/shop';
const node = {
  target: 'web',
  plan: planDebug('web', 'deployment/web', { name: 'web', command: ['node', 'server.js'] }),
  sync: [{ from: '/home/dev/shop/src/web', to: '/app' }],
};

test('node: attach to the forwarded port with localRoot/remoteRoot from the sync mapping', () => {
  assert.deepEqual(launchConfiguration(ws, node), {
    name: 'kloop: web (node)',
    type: 'node',
    request: 'attach',
    address: '127.0.0.1',
    port: 9229,
    localRoot: '${workspaceFolder}/src/web',
    remoteRoot: '/app',
    restart: true,
    skipFiles: ['<node_internals>/**'],
  });
});

test('python pathMappings, go substitutePath, dotnet pipeTransport over kloop enter', () => {
  const sync = [{ from: '/home/dev/shop/api', to: '/srv' }];
  const py = launchConfiguration(ws, {
    target: 'api',
    sync,
    plan: planDebug('api', 'd/api', { name: 'a', command: ['python', 'a.py'] }),
  });
  assert.deepEqual(py.pathMappings, [{ localRoot: '${workspaceFolder}/api', remoteRoot: '/srv' }]);
  assert.deepEqual(py.connect, { host: '127.0.0.1', port: 5678 });
  const go = launchConfiguration(ws, {
    target: 'g',
    sync,
    plan: planDebug('g', 'd/g', { name: 'g', command: ['/srv/app'] }, { runtime: 'go' }),
  });
  assert.deepEqual(go.substitutePath, [{ from: '${workspaceFolder}/api', to: '/srv' }]);
  const dn = launchConfiguration(ws, {
    target: 'n',
    sync,
    plan: planDebug('n', 'd/n', { name: 'n', command: ['dotnet', 'A.dll'] }),
  });
  assert.deepEqual((dn.pipeTransport as { pipeArgs: string[] }).pipeArgs, ['enter', 'n', '--']);
  assert.deepEqual(dn.sourceFileMap, { '/srv': '${workspaceFolder}/api' });
});

test("merge keeps comments and other entries, replaces kloop's entry by name, adds new ones", () => {
  const text = `{
  // my own configurations
  "version": "0.2.0",
  "configurations": [
    { "name": "Launch local", "type": "node", "request": "launch", "program": "server.js" }, // keep me
    { "name": "kloop: web (node)", "type": "node", "request": "attach", "port": 1 },
  ],
}
`;
  const out = mergeLaunch(text, 'launch.json', ws, [node]);
  assert.match(out, /\/\/ my own configurations/);
  assert.match(out, /\/\/ keep me/);
  const doc = parse(out, [], { allowTrailingComma: true }) as {
    configurations: Array<{ name: string; port?: number }>;
  };
  assert.deepEqual(
    doc.configurations.map((c) => c.name),
    ['Launch local', 'kloop: web (node)'],
  );
  assert.equal(doc.configurations[1]!.port, 9229);
  // idempotent
  assert.equal(mergeLaunch(out, 'launch.json', ws, [node]), out);
});

test('a launch.json kloop cannot read is an error naming file and line, and is left untouched', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kloop-launch-'));
  try {
    await mkdir(path.join(dir, '.vscode'));
    const file = path.join(dir, '.vscode', 'launch.json');
    const broken = '{\n  "configurations": [\n    { "name": \n';
    await writeFile(file, broken);
    await assert.rejects(
      writeLaunch(dir, [node]),
      (e: unknown) => e instanceof KloopError && /launch\.json:\d+: cannot read it/.test(e.message),
    );
    assert.equal(await readFile(file, 'utf8'), broken);
    await rm(file);
    const written = await writeLaunch(dir, [node]);
    const doc = JSON.parse(await readFile(written, 'utf8'));
    assert.equal(doc.version, '0.2.0');
    assert.equal(doc.configurations[0].name, 'kloop: web (node)');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
