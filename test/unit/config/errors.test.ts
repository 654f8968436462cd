// Malformed and mistyped kloop.yaml files: each asserts the message, LINE:COL and exit code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import type { GlobalOptions } from '../../../src/cli/options.ts';
import { loadProject } from '../../../src/config/load.ts';
import { ConfigError } from '../../../src/config/problems.ts';
import { KloopError } from '../../../src/errors.ts';

const BIN = resolve(import.meta.dirname, '../../../src/cli/bin.ts');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function project(yaml: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'kloop-errors-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'kloop.yaml'), yaml);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

function globals(cwd: string, extra: Partial<GlobalOptions> = {}): GlobalOptions {
  return { cwd, vars: {}, output: 'text', debug: false, color: false, ...extra };
}

async function problemsOf(yaml: string, files?: Record<string, string>, extra?: Partial<GlobalOptions>) {
  const dir = project(yaml, files);
  try {
    await loadProject(globals(dir, extra), { env: { PATH: process.env.PATH }, kubeconfig: emptyKube });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    assert.equal(error.exitCode, 1);
    return error.problems.map((p) => `${p.line}:${p.column} ${p.path.join('.')}: ${p.message}`);
  }
  assert.fail('the config loaded without an error');
}

const emptyKube = { files: [], contexts: [], clusters: [], users: [] };
const head = 'version: v1\nname: shop\n';

interface Case {
  name: string;
  yaml: string;
  files?: Record<string, string>;
  extra?: Partial<GlobalOptions>;
  /** each expected problem: "LINE:COL path: message-regex" */
  expect: [string, RegExp][];
}

const cases: Case[] = [
  {
    name: 'YAML syntax error: bad indentation',
    yaml: `${head}apps:\n  web:\n    manifests: [a.yaml]\n   dependsOn: []\n`,
    expect: [['6:1 ', /YAML syntax error: All mapping items must start at the same column/]],
  },
  {
    name: 'YAML syntax error: unclosed flow sequence',
    yaml: `${head}apps:\n  web: { manifests: [a.yaml }\n`,
    expect: [
      ['4:29 ', /YAML syntax error: Flow sequence .* must be sufficiently indented and end with a \]/],
      ['4:30 ', /YAML syntax error: Flow map/],
    ],
  },
  {
    name: 'duplicate key',
    yaml: `${head}name: other\n`,
    expect: [['3:1 ', /YAML syntax error: Map keys must be unique/]],
  },
  { name: 'empty file', yaml: '# nothing here\n', expect: [['1:1 ', /the file is empty/]] },
  { name: 'not a map', yaml: '- a\n- b\n', expect: [['1:1 ', /expected a map of keys/]] },
  {
    name: 'wrong version',
    yaml: 'version: v2\nname: shop\n',
    expect: [['1:10 version', /must be "v1", got the string "v2"/]],
  },
  { name: 'missing name', yaml: 'version: v1\n', expect: [['1:1 name', /is required; expected a string/]] },
  {
    name: 'name not a DNS label',
    yaml: 'version: v1\nname: My_Shop\n',
    expect: [['2:7 name', /must be a DNS label.*got the string "My_Shop"/]],
  },
  {
    name: 'unknown top-level key with suggestion',
    yaml: `${head}imgaes: {}\n`,
    expect: [['3:1 imgaes', /unknown key \(did you mean "images"\?\); allowed here: .*images/]],
  },
  {
    name: 'unknown nested key with suggestion',
    yaml: `${head}images:\n  web:\n    image: r/web\n    contxt: .\n`,
    files: { Dockerfile: 'FROM busybox\n' },
    expect: [['6:5 images.web.contxt', /unknown key \(did you mean "context"\?\)/]],
  },
  {
    name: 'unknown key without a close match lists what is allowed',
    yaml: `${head}apps:\n  web:\n    manifests: [a.yaml]\n    replicas: 3\n`,
    expect: [['6:5 apps.web.replicas', /: unknown key; allowed here: namespace, helm, kustomize, manifests/]],
  },
  {
    name: 'misspelt key inside a union (var spec)',
    yaml: `${head}vars:\n  A: { defualt: x }\n`,
    expect: [['4:8 vars.A.defualt', /did you mean "default"/]],
  },
  {
    name: 'misspelt required key inside a union is reported once',
    yaml: `${head}dependencies:\n  auth: { pth: ../auth }\n`,
    expect: [['4:11 dependencies.auth.pth', /did you mean "path"/]],
  },
  {
    name: 'wrong type: number for a string',
    yaml: `${head}apps:\n  web:\n    helm: { chart: 42 }\n`,
    expect: [['5:20 apps.web.helm.chart', /expected a string, got number 42/]],
  },
  {
    name: 'wrong type: string for a list',
    yaml: `${head}apps:\n  web:\n    manifests: deploy/*.yaml\n`,
    expect: [['5:16 apps.web.manifests', /expected a list, got the string/]],
  },
  {
    name: 'wrong type: string for a number',
    yaml: `${head}build:\n  parallel: "four"\n`,
    expect: [['4:13 build.parallel', /expected a number, got the string "four"/]],
  },
  {
    name: 'enum value',
    yaml: `${head}build:\n  load: docker\n`,
    expect: [['4:9 build.load', /must be one of "auto", "none", "kind", "k3d", "minikube", "push"/]],
  },
  {
    name: 'tag in image:',
    yaml: `${head}images:\n  web: { image: "registry.example.com/web:1.0" }\n`,
    files: { Dockerfile: 'FROM busybox\n' },
    expect: [['4:17 images.web.image', /must be a repository without a tag/]],
  },
  {
    name: 'digest in image:',
    yaml: `${head}images:\n  web: { image: "r/web@sha256:abc" }\n`,
    files: { Dockerfile: 'FROM busybox\n' },
    expect: [['4:17 images.web.image', /without a digest/]],
  },
  {
    name: 'bad port strings',
    yaml: `${head}apps:\n  web: { manifests: [a.yaml] }\ndev:\n  web:\n    app: web\n    ports: ["http:80", 70000]\n`,
    expect: [
      ['8:13 dev.web.ports.0', /must be "local:remote" or a port number; got the string "http:80"/],
      ['8:24 dev.web.ports.1', /must be at most 65535; got 70000/],
    ],
  },
  {
    name: 'bad workload',
    yaml: `${head}apps:\n  web: { manifests: [a.yaml] }\ndev:\n  web: { app: web, workload: web }\n`,
    expect: [['6:30 dev.web.workload', /must be kind\/name/]],
  },
  {
    name: 'app without a source',
    yaml: `${head}apps:\n  web: { namespace: x }\n`,
    expect: [['4:8 apps.web', /needs at least one of helm, kustomize or manifests/]],
  },
  {
    name: 'bad duration',
    yaml: `${head}apps:\n  web: { manifests: [a.yaml], timeout: 5 minutes }\n`,
    expect: [['4:40 apps.web.timeout', /must be a duration like 90s or 5m/]],
  },
  {
    name: 'undefined variable with its column',
    yaml: `${head}apps:\n  web:\n    namespace: team-\${TEAM}\n    manifests: [a.yaml]\n`,
    expect: [['5:21 apps.web.namespace', /undefined variable \$\{TEAM\}; declare it under vars:.*--var TEAM=VALUE/]],
  },
  {
    name: 'several undefined variables are all reported',
    yaml: `${head}apps:\n  web:\n    namespace: "\${NS}"\n    manifests: ["\${DIR}/a.yaml"]\n`,
    expect: [
      ['5:17 apps.web.namespace', /undefined variable \$\{NS\}/],
      ['6:18 apps.web.manifests.0', /undefined variable \$\{DIR\}/],
    ],
  },
  {
    name: 'missing required variable',
    yaml: `${head}vars:\n  TOKEN: { required: true }\n`,
    expect: [['4:3 vars.TOKEN', /required variable TOKEN has no value; set it in \.env/]],
  },
  {
    name: 'dev target names an unknown app',
    yaml: `${head}apps:\n  web: { manifests: [a.yaml] }\ndev:\n  web: { app: wbe }\n`,
    expect: [['6:15 dev.web.app', /unknown app "wbe" \(did you mean "web"\?\); apps in this file: web/]],
  },
  {
    name: 'dependsOn an unknown app',
    yaml: `${head}apps:\n  web: { manifests: [a.yaml], dependsOn: [cahce] }\n  cache: { manifests: [a.yaml] }\n`,
    expect: [['4:43 apps.web.dependsOn.0', /unknown app "cahce" \(did you mean "cache"\?\)/]],
  },
  {
    name: 'cyclic dependsOn prints the cycle',
    yaml: `${head}apps:\n  a: { manifests: [x], dependsOn: [b] }\n  b: { manifests: [x], dependsOn: [c] }\n  c: { manifests: [x], dependsOn: [a] }\n`,
    expect: [['6:36 apps.c.dependsOn.0', /dependsOn cycle: a → b → c → a/]],
  },
  {
    name: 'an app depending on itself',
    yaml: `${head}apps:\n  a: { manifests: [x], dependsOn: [a] }\n`,
    expect: [['4:36 apps.a.dependsOn.0', /cannot depend on itself/]],
  },
  {
    name: 'missing chart directory and values file',
    yaml: `${head}apps:\n  web:\n    helm:\n      chart: charts/web\n      values: [values.yaml]\n`,
    expect: [
      ['6:14 apps.web.helm.chart', /chart directory "charts\/web" does not exist/],
      ['7:16 apps.web.helm.values.0', /values file "values.yaml" does not exist/],
    ],
  },
  {
    name: 'chart directory without Chart.yaml',
    yaml: `${head}apps:\n  web: { helm: { chart: chart } }\n`,
    files: { 'chart/values.yaml': '' },
    expect: [['4:25 apps.web.helm.chart', /has no Chart.yaml/]],
  },
  {
    name: 'image without a Dockerfile',
    yaml: `${head}images:\n  web: { image: r/web, context: src }\n`,
    files: { 'src/main.go': '' },
    expect: [['4:33 images.web.context', /Dockerfile "src\/Dockerfile" does not exist/]],
  },
  {
    name: 'sync to a relative container path',
    yaml: `${head}apps:\n  web: { manifests: [a.yaml] }\ndev:\n  web:\n    app: web\n    sync: [{ from: src, to: www }]\n`,
    files: { 'src/a': '' },
    expect: [['8:29 dev.web.sync.0.to', /must be an absolute directory in the container/]],
  },
  {
    name: 'bad variable name in vars',
    yaml: `${head}vars:\n  my-var: x\n`,
    expect: [['4:3 vars.my-var', /the name "my-var" must be a variable name/]],
  },
  {
    name: 'a list where a variable value is expected',
    yaml: `${head}vars:\n  N: 3\n  X: [1]\n`,
    expect: [['5:6 vars.X', /expected a string or a number or true or false or a map of keys, got a list/]],
  },
  {
    name: 'misspelt command entry',
    yaml: `${head}commands:\n  seed: { runn: ./seed.sh }\n`,
    expect: [['4:11 commands.seed.runn', /unknown key \(did you mean "run"\?\); allowed here: run, description/]],
  },
  {
    name: 'many problems at once, in file order',
    yaml: 'version: 1\nname: Shop\nfoo: bar\n',
    expect: [
      ['1:10 version', /must be "v1"/],
      ['2:7 name', /DNS label/],
      ['3:1 foo', /unknown key/],
    ],
  },
];

describe('config errors', () => {
  it('covers at least 25 malformed configurations', () => {
    assert.ok(cases.length >= 25, `${cases.length} cases`);
  });
  for (const c of cases) {
    it(c.name, async () => {
      const got = await problemsOf(c.yaml, c.files, c.extra);
      assert.equal(got.length, c.expect.length, `problems:\n${got.join('\n')}`);
      c.expect.forEach(([where, message], i) => {
        const line = got[i] ?? '';
        assert.ok(line.startsWith(where), `expected "${where}…", got "${line}"`);
        assert.match(line, message);
      });
    });
  }

  it('an unknown --env lists the environments', async () => {
    const dir = project(`${head}environments:\n  staging: {}\n  prod: {}\n`);
    await assert.rejects(loadProject(globals(dir, { env: 'stagin' }), { env: {}, kubeconfig: emptyKube }), (e) => {
      assert.ok(e instanceof KloopError);
      assert.equal(
        e.message,
        'unknown environment "stagin" (did you mean "staging"?): kloop.yaml defines staging, prod',
      );
      return true;
    });
  });

  it('a missing environment envFile is an error at its key', async () => {
    const got = await problemsOf(
      `${head}environments:\n  staging: { envFile: envs/staging.env }\n`,
      {},
      { env: 'staging' },
    );
    assert.equal(got.length, 1);
    assert.match(got[0] ?? '', /^4:23 environments.staging.envFile: env file envs\/staging.env does not exist/);
  });
});

describe('config errors through the CLI', () => {
  const cli = (cwd: string, ...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', CI: 'true' },
    });

  it('prints one problem as file:line:col: key.path: message and exits 1', () => {
    const dir = project(`${head}images:\n  web:\n    image: r/web\n    contxt: .\n`, { Dockerfile: 'FROM busybox\n' });
    const r = cli(dir, 'print');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^error: kloop.yaml:6:5: images.web.contxt: unknown key \(did you mean "context"\?\)/m);
    assert.equal(r.stdout, '');
  });

  it('prints every problem with its location', () => {
    const dir = project(
      `version: v1\nname: shop\napps:\n  web: { manifests: [a], dependsOn: [web2] }\ndev:\n  w: { app: nope, ports: ["x"] }\n`,
    );
    const sub = join(dir, 'sub', 'deeper');
    mkdirSync(sub, { recursive: true });
    const r = cli(sub, 'print');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /error: \.\.\/\.\.\/kloop\.yaml has 3 problems|error: .*kloop\.yaml has 3 problems/);
    assert.match(r.stderr, /kloop\.yaml:4:38: apps\.web\.dependsOn\[0\]: unknown app "web2"/);
    assert.match(r.stderr, /kloop\.yaml:6:13: dev\.w\.app: unknown app "nope"/);
    assert.match(r.stderr, /kloop\.yaml:6:27: dev\.w\.ports\[0\]: must be "local:remote"/);
  });

  it('a YAML syntax error exits 1 with its position', () => {
    const dir = project('version: v1\nname: [shop\n');
    const r = cli(dir, 'print');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /error: kloop\.yaml:\d+:\d+: YAML syntax error/);
  });

  it('an undefined variable names file, variable and the fix', () => {
    const dir = project(`${head}apps:\n  web: { manifests: ["\${DIR}/a.yaml"] }\n`);
    const r = cli(dir, 'print');
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /kloop\.yaml:4:23: apps\.web\.manifests\[0\]: undefined variable \$\{DIR\}; declare it under vars:/,
    );
    const ok = cli(dir, '--var', 'DIR=deploy', 'print');
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /deploy\/a\.yaml/);
  });

  it('no kloop.yaml anywhere is an error with a hint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kloop-none-'));
    dirs.push(dir);
    const r = cli(dir, 'print');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no kloop\.yaml found in .* or any parent directory/);
    assert.match(r.stderr, /kloop init/);
  });
});
