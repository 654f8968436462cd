// Shell completion, driven through the real shells: bash the way readline calls a completion
// function (COMP_WORDS/COMP_CWORD, `complete -p`), zsh through its completion function with
// compadd captured, fish with `complete -C`. Dynamic names come from the real `kloop __complete`.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildProgram } from '../../../src/cli/main.ts';
import { writeTree } from '../../helpers/fixtures.ts';
import { BIN, kloop, kubeconfigYaml, TempDirs } from './helpers.ts';

const temp = new TempDirs();
after(() => temp.cleanup());

const PROJECT = {
  // apps.web's namespace needs a variable nobody set: completion must still offer the names
  'kloop.yaml': `version: v1
name: shop
vars:
  API_TOKEN: { secret: true }
images:
  web: { image: registry.example.com/shop/web, context: . }
apps:
  web:
    namespace: \${NOT_SET_ANYWHERE}
    manifests: [deploy/*.yaml]
  cache:
    manifests: [deploy/*.yaml]
dev:
  frontend: { app: web, workload: deployment/web, container: web }
commands:
  seed: ./seed.sh
environments:
  staging: { kubeContext: stg }
  production: { kubeContext: prod }
`,
  'other/kloop.yaml': 'version: v1\nname: other\napps:\n  billing:\n    manifests: [x.yaml]\n',
};

let dir = '';
let binDir = '';
let env: NodeJS.ProcessEnv = {};
const scripts: Record<string, string> = {};

before(async () => {
  dir = temp.make(PROJECT);
  binDir = temp.make({}, 'kloop-bin-');
  const shim = join(binDir, 'kloop');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(shim, 0o755);
  writeTree(dir, {
    kubeconfig: kubeconfigYaml({
      server: 'https://127.0.0.1:1',
      contexts: [{ name: 'kind-dev', namespace: 'shop' }, { name: 'stg' }],
    }),
  });
  env = { PATH: `${binDir}:${process.env.PATH}`, HOME: dir, KUBECONFIG: join(dir, 'kubeconfig'), CI: 'true' };
  for (const shell of ['bash', 'zsh', 'fish', 'powershell']) {
    const r = await kloop(dir, ['completion', shell]);
    assert.equal(r.status, 0, r.stderr);
    scripts[shell] = join(binDir, `kloop.${shell}`);
    writeFileSync(scripts[shell], r.stdout);
  }
});

/** What bash offers for the words (the last one is under the cursor), as readline would ask. */
function bash(words: string[]): string[] {
  const script = `source ${JSON.stringify(scripts.bash)}
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}
_kloop
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = execFileSync('bash', ['-c', script, 'bash', ...words], { cwd: dir, env, encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

function zsh(words: string[]): string[] {
  const script = `autoload -U compinit && compinit -u -D
source ${JSON.stringify(scripts.zsh)}
[[ $_comps[kloop] == _kloop ]] || { print "not registered"; exit 3 }
compadd() { print -l -- "\${(@P)\${@[-1]}}" }
_files() { print -- "<files>" }
words=("$@"); CURRENT=$#
_kloop`;
  const r = spawnSync('zsh', ['-f', '-c', script, 'zsh', ...words], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(r.status === 3, false, 'the zsh script did not register _kloop with compdef');
  return r.stdout.split('\n').filter(Boolean);
}

function fish(line: string): string[] {
  const out = execFileSync(
    'fish',
    ['--no-config', '-c', `source ${scripts.fish}; complete -C${JSON.stringify(line)}`],
    {
      cwd: dir,
      env,
      encoding: 'utf8',
    },
  );
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t')[0]!);
}

describe('kloop completion', () => {
  it('registers a bash completion function for kloop', () => {
    const out = execFileSync('bash', ['-c', `source ${JSON.stringify(scripts.bash)}; complete -p kloop`], {
      env,
      encoding: 'utf8',
    });
    assert.equal(out.trim(), 'complete -F _kloop kloop');
  });

  it('completes commands from the commander program (bash, zsh, fish)', () => {
    const program = buildProgram();
    const visible = program.commands
      .filter((c) => !(c as unknown as { _hidden?: boolean })._hidden)
      .map((c) => c.name())
      .sort();
    assert.ok(visible.includes('completion'));
    assert.deepEqual(bash(['kloop', '']).sort(), visible);
    assert.ok(!bash(['kloop', '']).includes('__complete'), 'the hidden command is not offered');
    assert.deepEqual(bash(['kloop', 'de']), ['deploy', 'dev']);
    assert.deepEqual(zsh(['kloop', 'de']), ['deploy', 'dev']);
    assert.deepEqual(fish('kloop de').sort(), ['deploy', 'dev']);
    assert.deepEqual(bash(['kloop', 'use', '']).sort(), ['context', 'namespace']);
  });

  it("completes a command's flags and the global ones, with choices for their values", () => {
    assert.deepEqual(bash(['kloop', 'deploy', '--sk']), ['--skip-build']);
    assert.deepEqual(zsh(['kloop', 'deploy', '--sk']), ['--skip-build']);
    assert.deepEqual(fish('kloop deploy --sk'), ['--skip-build']);
    assert.ok(bash(['kloop', 'deploy', '--']).includes('--kube-context'), 'global flags too');
    assert.ok(!bash(['kloop', 'render', '--']).includes('--skip-build'), "another command's flags are not offered");
    assert.deepEqual(bash(['kloop', '-o', '']), ['text', 'json', 'jsonl', 'events']);
    // bash splits --output=j into three words; the reply replaces only what follows "="
    assert.deepEqual(bash(['kloop', '--output', '=', 'j']), ['json', 'jsonl']);
    assert.deepEqual(zsh(['kloop', '--output=t']), ['--output=text']);
    assert.deepEqual(bash(['kloop', 'completion', 'z']), ['zsh']);
  });

  it('completes app, target, image and environment names from kloop.yaml without resolving variables', () => {
    assert.deepEqual(bash(['kloop', 'deploy', 'web', '']), ['web', 'cache'], 'a variadic argument goes on');
    assert.deepEqual(zsh(['kloop', 'purge', 'w']), ['web']);
    assert.deepEqual(fish('kloop render ').sort(), ['cache', 'web']);
    assert.deepEqual(bash(['kloop', 'logs', '']), ['frontend', 'web', 'cache']);
    assert.deepEqual(bash(['kloop', 'ui', '']), ['resync', 'restart', 'rebuild', 'purge']);
    assert.deepEqual(bash(['kloop', 'ui', 'restart', '']), ['frontend']);
    assert.deepEqual(bash(['kloop', '--env', 'p']), ['production']);
    assert.deepEqual(bash(['kloop', 'promote', '--from', '']), ['staging', 'production']);
    // --image NAME=REF: the name, then "=" with no space
    assert.deepEqual(bash(['kloop', 'deploy', '--image', 'w']), ['web=']);
    assert.deepEqual(bash(['kloop', 'deploy', '--image', 'web', '=', '']), []);
    // -c points at another project: its names
    assert.deepEqual(bash(['kloop', '-c', 'other/kloop.yaml', 'deploy', '']), ['billing']);
    assert.deepEqual(fish('kloop --config other/kloop.yaml deploy '), ['billing']);
  });

  it('completes kube contexts from the kubeconfig; namespaces of an unreachable cluster are silently none', async () => {
    assert.deepEqual(bash(['kloop', '--kube-context', '']), ['kind-dev', 'stg']);
    assert.deepEqual(bash(['kloop', 'use', 'context', 'k']), ['kind-dev']);
    const started = Date.now();
    assert.deepEqual(bash(['kloop', '-n', '']), []);
    assert.ok(Date.now() - started < 20_000);
    const r = await kloop(dir, ['__complete', 'namespaces', ''], { KUBECONFIG: join(dir, 'kubeconfig') });
    assert.equal(r.status, 0);
    assert.equal(r.stdout + r.stderr, '');
  });

  it('__complete prints name<TAB>description lines and nothing outside a project', async () => {
    const r = await kloop(dir, ['__complete', 'apps', 'c']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'cache\tapp (manifests)\n');
    const outside = temp.make({});
    const none = await kloop(outside, ['__complete', 'apps', '']);
    assert.equal(none.status, 0);
    assert.equal(none.stdout + none.stderr, '');
  });

  it('generates a PowerShell completer over the same table', () => {
    const ps = readFileSync(scripts.powershell!, 'utf8');
    assert.match(ps, /Register-ArgumentCompleter -Native -CommandName 'kloop'/);
    assert.match(ps, /^S\tuse\tcontext\t/m);
    assert.match(ps, /^A\tdeploy\t0\t1\tdyn:apps$/m);
  });
});
